package io.cnnlab.helpers;

import org.bytedeco.dnnl.memory;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.deeplearning4j.nn.layers.normalization.BatchNormalization;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A residual trunk held in oneDNN's blocked layout from one max-pooling layer to the next: in {@code resdeep} every
 * array from {@code conv1_pool}'s output to {@code res_pool}'s input, and their gradients. Between those two
 * layers every op is one of cnnlab's oneDNN plans (convolution, synchronised batch norm, pooling) or elementwise
 * (ReLU, the residual adds, DL4J's sums of the gradients where the branches meet), and an elementwise op does
 * not care about the order of the elements. So the arrays DL4J holds as NCHW can hold the blocked layout the
 * convolutions work in ({@code nChw16c} on AVX-512, {@code nChw8c} under the AVX2 cap; the same size where the
 * channels are a multiple of the block), and the reorders to and from NCHW around every plan go, forward and
 * back, save at the trunk's two ends. PyTorch's {@code to_mkldnn}
 * tensors hold a network's activations the same way. Reorders copy exactly, so the step computes the same
 * numbers bit for bit.
 *
 * <p>What keeps it safe. {@link #link} finds the trunk in the graph: the arrays made by a pooling layer, a
 * batch-norm layer, a lean ReLU layer or a lean add whose readers are all cnnlab convolutions (without dropout),
 * lean ReLU layers, lean adds or pooling layers, with the elementwise ops' inputs and outputs all inside, all of
 * it downstream of the one pooling layer that starts it. The trunk is blocked only in a pass that
 * the starting pooling layer opens ({@link #open}): a training pass on a split step's worker thread with
 * synchronised batch norms, no listener that reads activations, and the pooling layer's own input handed over
 * blocked by the convolution before it, and every array's channels a multiple of that layout's block; every
 * other pass (evaluation, DL4J's {@code output} and {@code feedForward}, one worker) stays NCHW. In an open pass
 * every array made inside the trunk is marked by its maker and checked by every reader ({@link #mark},
 * {@link #check}): an unmarked array inside, NCHW data that would be read as blocked, is an error, never a
 * silent misreading.
 */
final class BlockedTrunk {
    private static final LayerHelpers BATCH_NORM_HELPERS = new LayerHelpers(BatchNormalization.class);
    private final String name;
    private final List<BatchNormalization> batchNorms;
    private final Set<Long> channels;
    // The open pass: its layout, its thread, and the arrays marked in it (buffer address to shape).
    private memory.format_tag layout;
    private Thread thread;
    private final Map<Long, long[]> marked = new HashMap<>();

    private BlockedTrunk(String name, List<BatchNormalization> batchNorms, Set<Long> channels) {
        this.name = name;
        this.batchNorms = batchNorms;
        this.channels = channels;
    }

    /**
     * Opens a pass of the trunk, called by its starting pooling layer in every forward pass: the layout the
     * trunk holds in this pass, or null (NCHW). {@code inputLayout}: the layout the pooling layer's input came
     * in (null: NCHW).
     */
    memory.format_tag open(boolean training, memory.format_tag inputLayout, Layer start) {
        layout = null;
        thread = null;
        marked.clear();
        if (!training || inputLayout == null || !BlockedHandoff.allowed(true, start.getListeners())) {
            return null;
        }
        int block = inputLayout == memory.format_tag.nChw16c ? 16 : inputLayout == memory.format_tag.nChw8c ? 8 : 0;
        if (block == 0 || channels.stream().anyMatch(c -> c % block != 0)) {
            return null;
        }
        for (BatchNormalization bn : batchNorms) {
            if (!(BATCH_NORM_HELPERS.get(bn) instanceof SyncBatchNorm)) {
                return null;
            }
        }
        layout = inputLayout;
        thread = Thread.currentThread();
        return layout;
    }

    /** The layout of the trunk in this thread's open pass, or null (NCHW). */
    memory.format_tag layout() {
        return thread == Thread.currentThread() ? layout : null;
    }

    /** Records that {@code a}, made inside the trunk in this open pass, holds its layout. Returns {@code a}. */
    INDArray mark(INDArray a) {
        marked.put(a.data().address(), a.shape());
        return a;
    }

    /** Fails unless {@code a}, read inside the trunk by {@code reader} in this open pass, was marked. */
    void check(INDArray a, String reader) {
        if (!Arrays.equals(marked.get(a.data().address()), a.shape())) {
            throw new IllegalStateException("blocked trunk of '" + name + "' broken: '" + reader
                    + "' received an array that was not made inside it in this pass");
        }
    }

    /**
     * Finds the trunk of {@code graph}, whose cnnlab layers and vertices are in place, and links its members to it;
     * none where the graph has no trunk, more than one, or no input types to count the channels by.
     */
    static void link(ComputationGraph graph) {
        ComputationGraphConfiguration conf = graph.getConfiguration();
        Map<String, List<String>> inputsOf = conf.getVertexInputs();
        Map<String, List<String>> readersOf = new HashMap<>();
        inputsOf.forEach((v, ins) -> ins.forEach(in -> readersOf.computeIfAbsent(in, k -> new ArrayList<>()).add(v)));
        Set<String> inside = new HashSet<>();
        for (GraphVertex v : graph.getVertices()) {
            String n = v.getVertexName();
            List<String> readers = readersOf.getOrDefault(n, List.of());
            if (!v.isInputVertex() && !conf.getNetworkOutputs().contains(n) && !readers.isEmpty() && makes(v)
                    && readers.stream().allMatch(r -> reads(graph.getVertex(r)))) {
                inside.add(n);
            }
        }
        close(graph, inside, inputsOf, readersOf);
        List<String> starts = inside.stream()
                .filter(n -> graph.getVertex(n).getLayer() instanceof OneDnnSubsamplingLayer).toList();
        if (starts.size() != 1) {
            return;
        }
        // Only what the start's pass opens: the arrays made after it, downstream.
        Set<String> downstream = new HashSet<>();
        List<String> todo = new ArrayList<>(List.of(starts.get(0)));
        while (!todo.isEmpty()) {
            String n = todo.remove(todo.size() - 1);
            if (downstream.add(n)) {
                todo.addAll(readersOf.getOrDefault(n, List.of()));
            }
        }
        inside.retainAll(downstream);
        close(graph, inside, inputsOf, readersOf);
        if (!inside.contains(starts.get(0))) {
            return;
        }
        OneDnnSubsamplingLayer start = (OneDnnSubsamplingLayer) graph.getVertex(starts.get(0)).getLayer();
        List<BatchNormalization> batchNorms = new ArrayList<>();
        for (String n : inside) {
            if (graph.getVertex(n).getLayer() instanceof BatchNormalization bn) {
                batchNorms.add(bn);
            }
        }
        Set<Long> channels = new HashSet<>();
        for (String n : inside) {
            long c = channels(graph, n);
            if (c < 1) {
                return;
            }
            channels.add(c);
        }
        BlockedTrunk trunk = new BlockedTrunk(starts.get(0), batchNorms, channels);
        start.startsTrunk(trunk);
        for (String n : inside) {
            GraphVertex v = graph.getVertex(n);
            if (v instanceof LeanAddVertex add) {
                add.inTrunk(trunk);
            } else if (v.getLayer() instanceof LeanActivationLayer relu) {
                relu.inTrunk(trunk);
            }
            for (String r : readersOf.get(n)) {
                Layer reader = graph.getVertex(r).getLayer();
                if (reader instanceof OneDnnConvolutionLayer c) {
                    c.readsTrunk(trunk);
                } else if (reader instanceof OneDnnSubsamplingLayer pool && !inside.contains(r)) {
                    pool.endsTrunk(trunk);
                }
            }
        }
    }

    /** The trunk whose array {@code batchNorm} (a layer of {@code graph}) makes, or null. */
    static BlockedTrunk madeBy(ComputationGraph graph, Layer batchNorm) {
        for (Layer l : graph.getLayers()) {
            if (l instanceof OneDnnSubsamplingLayer pool && pool.trunk() != null
                    && pool.trunk().batchNorms.contains(batchNorm)) {
                return pool.trunk();
            }
        }
        return null;
    }

    /**
     * The channels of vertex {@code n}'s output: the {@code nOut} of the layer that last set them (pooling,
     * activations and adds keep their input's), or 0 where none tells.
     */
    private static long channels(ComputationGraph graph, String n) {
        GraphVertex v = graph.getVertex(n);
        if (v == null || v.isInputVertex()) {
            return 0;
        }
        if (v.hasLayer() && v.getLayer().conf().getLayer() instanceof FeedForwardLayer f) {
            return f.getNOut();
        }
        List<String> in = graph.getConfiguration().getVertexInputs().get(n);
        return in == null || in.isEmpty() ? 0 : channels(graph, in.get(0));
    }

    /** Drops from {@code inside} the arrays of elementwise ops that would read or write outside, until none is left. */
    private static void close(ComputationGraph graph, Set<String> inside, Map<String, List<String>> inputsOf,
                              Map<String, List<String>> readersOf) {
        boolean changed = true;
        while (changed) {
            changed = inside.removeIf(n -> elementwise(graph.getVertex(n)) && !inside.containsAll(inputsOf.get(n))
                    || readersOf.get(n).stream().anyMatch(r -> elementwise(graph.getVertex(r)) && !inside.contains(r)));
        }
    }

    /** Whether {@code v}'s output can be made inside a trunk. */
    private static boolean makes(GraphVertex v) {
        Layer l = v.getLayer();
        return v instanceof LeanAddVertex || l instanceof OneDnnSubsamplingLayer pool && pool.poolsBlocked()
                || l instanceof LeanActivationLayer || l != null && l.getClass() == BatchNormalization.class
                && ((BatchNormalization) l).layerConf().getCnn2DFormat() == CNN2DFormat.NCHW;
    }

    /** Whether {@code v} can read an array inside a trunk. */
    private static boolean reads(GraphVertex v) {
        Layer l = v.getLayer();
        return v instanceof LeanAddVertex || l instanceof OneDnnSubsamplingLayer pool && pool.poolsBlocked()
                || l instanceof LeanActivationLayer
                || l instanceof OneDnnConvolutionLayer c && c.conf().getLayer().getIDropout() == null;
    }

    private static boolean elementwise(GraphVertex v) {
        return v instanceof LeanAddVertex || v.getLayer() instanceof LeanActivationLayer;
    }
}
