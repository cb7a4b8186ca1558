package io.cnnlab.helpers;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.CacheMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.deeplearning4j.nn.graph.vertex.impl.ElementWiseVertex;
import org.deeplearning4j.nn.layers.convolution.ConvolutionLayer;
import org.deeplearning4j.nn.layers.convolution.subsampling.SubsamplingLayer;
import org.deeplearning4j.nn.layers.mkldnn.MKLDNNConvHelper;
import org.deeplearning4j.nn.layers.mkldnn.MKLDNNSubsamplingHelper;
import org.deeplearning4j.nn.layers.normalization.BatchNormalization;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.activations.impl.ActivationTanH;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * cnnlab's layer helpers, installed into a live network: oneDNN convolution and pooling helpers, tanh and
 * ReLU through faster ND4J ops, and (through {@link SyncBatchNorm}) batch norm synchronised across the
 * workers of a data-parallel step. Like the DL4J zoo's {@code mkldnn} package, the helpers themselves stay
 * package-private; this class and {@link SyncBatchNorm}'s group are the way in.
 */
public final class Helpers {
    private static final LayerHelpers CONVOLUTION_HELPERS = new LayerHelpers(ConvolutionLayer.class);
    private static final LayerHelpers POOLING_HELPERS = new LayerHelpers(SubsamplingLayer.class);
    private static volatile boolean linkHandoffs = true;
    private static volatile boolean fuseRelu = true;
    private static volatile boolean blockedTrunk = true;

    private Helpers() {
    }

    /**
     * Run-time speed-ups for {@code graph}, none of which changes what it computes:
     * <ul>
     * <li>in its live layers only (dense, convolution and activation layers), DL4J's tanh and, on the CPU,
     * plain ReLU swapped for {@link OneDnnTanH} and {@link FastReLU}; each layer gets a clone of its
     * configuration, so no cnnlab class reaches {@code graph.getConfiguration()} or a saved model;</li>
     * <li>DL4J's {@link CacheMode#DEVICE}: a convolution keeps its forward output for its backward pass,
     * which otherwise runs the convolution again. This is DL4J's own setting and is saved with the
     * configuration;</li>
     * <li>on the CPU, convolutions through {@link OneDnnConvolutionHelper}: oneDNN primitives made once per
     * shape; those that read the network's input compute no gradient for it, which training never uses;
     * those whose activation is tanh, plain ReLU or the identity are replaced by {@link OneDnnConvolutionLayer},
     * which computes the activation inside the convolution;
     * and max pooling, forward and backward, through {@link OneDnnPoolingHelper} in a layout with a JIT
     * kernel (the pooling layers are replaced by {@link OneDnnSubsamplingLayer}, which asks its helper for
     * the forward pass too).</li>
     * <li>a convolution whose one consumer is such a pooling layer or a batch-norm layer (synchronised, in a
     * data-parallel step) hands its output over in oneDNN's blocked layout in training steps (to pooling also in
     * the inference passes of {@link #outputOnly}), and gets its gradient back the same way
     * ({@link BlockedHandoff}): no reorders between the two;</li>
     * <li>activation layers with those activations replaced by {@link LeanActivationLayer}, and adds of two
     * arrays by {@link LeanAddVertex}: DL4J's ops without DL4J's copies around them;</li>
     * <li>a lean ReLU layer whose one input is a batch-norm layer (synchronised, in a data-parallel step) computed
     * inside that batch norm's passes ({@link FusedRelu});</li>
     * <li>the arrays between two max-pooling layers that only these plans and elementwise ops make and read (a
     * residual trunk) held in oneDNN's blocked layout in training steps ({@link BlockedTrunk}): no reorders
     * inside it.</li>
     * </ul>
     * {@code cpu}: whether ND4J runs on the CPU backend (the oneDNN helpers and FastReLU are CPU-only).
     * Idempotent; returns {@code graph}.
     */
    public static ComputationGraph accelerate(ComputationGraph graph, boolean cpu) {
        return accelerate(graph, cpu, true, linkHandoffs);
    }

    /**
     * {@code graph.outputSingle(false, features)}, with the blocked hand-offs from convolutions to max pooling
     * ({@link BlockedHandoff}) in this inference pass too: for callers that use nothing but the network's output,
     * as cnnlab's evaluation after each epoch and {@code bench} do. DL4J's own {@code output} and
     * {@code feedForward} methods keep every activation NCHW, because some of them give intermediate activations
     * to the caller. The output is the same as {@code outputSingle}'s, bit for bit (reorders copy exactly).
     */
    public static INDArray outputOnly(ComputationGraph graph, INDArray features) {
        return BlockedHandoff.outputOnly(() -> graph.outputSingle(false, features));
    }

    /**
     * Sets whether {@link #accelerate(ComputationGraph, boolean)} links blocked hand-offs (on unless a test
     * compares with the reorders, including in the replicas a data-parallel step makes); returns the old value.
     */
    static boolean linkHandoffs(boolean link) {
        boolean was = linkHandoffs;
        linkHandoffs = link;
        return was;
    }

    /**
     * Sets whether {@link #accelerate(ComputationGraph, boolean)} links batch norms to the ReLU layers after them
     * ({@link FusedRelu}; on unless a test compares with the ReLU layers' own passes); returns the old value.
     */
    static boolean fuseRelu(boolean fuse) {
        boolean was = fuseRelu;
        fuseRelu = fuse;
        return was;
    }

    /**
     * Sets whether {@link #accelerate(ComputationGraph, boolean)} links blocked trunks ({@link BlockedTrunk}; on
     * unless a test compares with the reorders); returns the old value.
     */
    static boolean blockedTrunk(boolean link) {
        boolean was = blockedTrunk;
        blockedTrunk = link;
        return was;
    }

    /** {@link #accelerate(ComputationGraph, boolean)}, with or without the lean layers and vertices. */
    static ComputationGraph accelerate(ComputationGraph graph, boolean cpu, boolean lean) {
        return accelerate(graph, cpu, lean, true);
    }

    /**
     * {@link #accelerate(ComputationGraph, boolean)}, with or without the lean layers and vertices, and with or
     * without the blocked hand-off from convolutions to pooling.
     */
    static ComputationGraph accelerate(ComputationGraph graph, boolean cpu, boolean lean, boolean handoff) {
        for (Layer layer : graph.getLayers()) {
            org.deeplearning4j.nn.conf.layers.Layer conf = layer.conf().getLayer();
            IActivation fn = conf instanceof BaseLayer b ? b.getActivationFn()
                    : conf instanceof ActivationLayer a ? a.getActivationFn() : null;
            IActivation fast = fn == null ? null
                    : fn.getClass() == ActivationTanH.class ? new OneDnnTanH()
                    : fn.getClass() == ActivationReLU.class && fn.equals(new ActivationReLU()) && cpu ? new FastReLU()
                    : null;
            if (fast != null) {
                NeuralNetConfiguration clone = layer.conf().clone();
                if (clone.getLayer() instanceof BaseLayer b) {
                    b.setActivationFn(fast);
                } else {
                    ((ActivationLayer) clone.getLayer()).setActivationFn(fast);
                }
                layer.setConf(clone);
            }
        }
        List<String> inputs = graph.getConfiguration().getNetworkInputs();
        Map<String, OneDnnConvolutionLayer> convolutions = new HashMap<>();
        Map<String, OneDnnSubsamplingLayer> pools = new HashMap<>();
        for (Layer layer : graph.getLayers().clone()) { // layers are replaced in the graph's array
            String name = layer.conf().getLayer().getLayerName();
            if (layer.getClass() == ConvolutionLayer.class && cpu
                    && CONVOLUTION_HELPERS.get(layer) instanceof MKLDNNConvHelper dl4j) {
                boolean readsImages = layer.conf().getLayer().getIDropout() == null
                        && inputs.containsAll(graph.getConfiguration().getVertexInputs().get(name));
                boolean bias = ((org.deeplearning4j.nn.conf.layers.ConvolutionLayer) layer.conf().getLayer()).hasBias();
                OneDnnConvolutionHelper helper = new OneDnnConvolutionHelper(dl4j, !readsImages, bias);
                CONVOLUTION_HELPERS.set(layer, helper);
                if (OneDnnConvolutionLayer.replace(graph, (ConvolutionLayer) layer, helper) instanceof OneDnnConvolutionLayer c) {
                    convolutions.put(name, c);
                }
            }
            if (layer.getClass() == SubsamplingLayer.class && cpu
                    && POOLING_HELPERS.get(layer) instanceof MKLDNNSubsamplingHelper dl4j) {
                pools.put(name, OneDnnSubsamplingLayer.replace(graph, (SubsamplingLayer) layer, new OneDnnPoolingHelper(dl4j)));
            }
            if (lean && layer.getClass() == org.deeplearning4j.nn.layers.ActivationLayer.class) {
                LeanActivationLayer.replace(graph, (org.deeplearning4j.nn.layers.ActivationLayer) layer);
            }
        }
        if (handoff) {
            linkBlockedHandoffs(graph, convolutions, pools);
        }
        if (lean && cpu && fuseRelu) {
            linkFusedRelus(graph);
        }
        for (GraphVertex vertex : graph.getVertices().clone()) {
            if (lean && vertex.getClass() == ElementWiseVertex.class && graph.getConfiguration().getVertices()
                    .get(vertex.getVertexName()) instanceof org.deeplearning4j.nn.conf.graph.ElementWiseVertex conf
                    && conf.getOp() == org.deeplearning4j.nn.conf.graph.ElementWiseVertex.Op.Add) {
                LeanAddVertex.replace(graph, (ElementWiseVertex) vertex);
            }
        }
        if (lean && cpu && handoff && blockedTrunk) {
            BlockedTrunk.link(graph);
        }
        graph.getConfiguration().setCacheMode(CacheMode.DEVICE);
        graph.setCacheMode(CacheMode.DEVICE);
        return graph;
    }

    /**
     * Links each convolution to the max-pooling or batch-norm layer that is its one consumer (and has no other
     * input), for {@link BlockedHandoff}.
     */
    private static void linkBlockedHandoffs(ComputationGraph graph, Map<String, OneDnnConvolutionLayer> convolutions,
                                            Map<String, OneDnnSubsamplingLayer> pools) {
        Map<String, List<String>> vertexInputs = graph.getConfiguration().getVertexInputs();
        for (var c : convolutions.entrySet()) {
            if (graph.getConfiguration().getNetworkOutputs().contains(c.getKey())) {
                continue;
            }
            List<String> consumers = vertexInputs.entrySet().stream().filter(e -> e.getValue().contains(c.getKey()))
                    .map(Map.Entry::getKey).toList();
            if (consumers.size() != 1 || !vertexInputs.get(consumers.get(0)).equals(List.of(c.getKey()))) {
                continue;
            }
            OneDnnSubsamplingLayer pool = pools.get(consumers.get(0));
            Layer next = graph.getLayer(consumers.get(0));
            if (pool != null) {
                BlockedHandoff link = new BlockedHandoff(pool);
                c.getValue().handoff(link);
                pool.handoff(link);
            } else if (next != null && next.getClass() == BatchNormalization.class) {
                c.getValue().handoff(new BlockedHandoff(next)); // its synchronised helper takes the link when asked
            }
        }
    }

    /**
     * Links each batch-norm layer to the lean ReLU layer that is its one consumer (and has no other input), for
     * {@link FusedRelu}.
     */
    private static void linkFusedRelus(ComputationGraph graph) {
        Map<String, List<String>> vertexInputs = graph.getConfiguration().getVertexInputs();
        for (Layer layer : graph.getLayers()) {
            if (layer.getClass() != BatchNormalization.class) {
                continue;
            }
            String name = layer.conf().getLayer().getLayerName();
            List<String> consumers = vertexInputs.entrySet().stream().filter(e -> e.getValue().contains(name))
                    .map(Map.Entry::getKey).toList();
            if (consumers.size() == 1 && vertexInputs.get(consumers.get(0)).equals(List.of(name))
                    && !graph.getConfiguration().getNetworkOutputs().contains(name)
                    && graph.getLayer(consumers.get(0)) instanceof LeanActivationLayer relu
                    && relu.layerConf().getActivationFn() instanceof FastReLU) {
                FusedRelu.link((BatchNormalization) layer, relu);
            }
        }
    }

    /**
     * Frees the oneDNN primitives and memories that {@link #accelerate}'s helpers keep for {@code graph}'s
     * layers, now rather than when a GC collects them: a run makes so little Java garbage that GCs are rare,
     * and in one JVM (bench, compare) the plans of finished networks would otherwise pile up. The graph
     * stays usable: its next call makes its plans again. Not while another thread runs the graph.
     */
    public static void release(ComputationGraph graph) {
        for (Layer layer : graph.getLayers()) {
            Object helper = layer instanceof OneDnnSubsamplingLayer pooling ? pooling.oneDnn()
                    : layer instanceof ConvolutionLayer ? CONVOLUTION_HELPERS.get(layer) : null;
            if (helper instanceof OneDnnHelper<?, ?> oneDnn) {
                oneDnn.release();
            }
        }
    }
}
