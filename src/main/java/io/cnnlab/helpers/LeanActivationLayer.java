package io.cnnlab.helpers;

import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.layers.ActivationLayer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * DL4J's activation layer without its copies in training: DL4J's layer copies its input before applying the
 * activation in place (forward), and copies it again before differentiating in place, then copies the
 * gradient from the working memory into the layer's gradient workspace (backward). Here the activation
 * writes its output, and its gradient, straight into the workspace arrays DL4J would end up with
 * ({@link OutOfPlaceActivation}): one pass over the layer's array each way in place of two and three. Same
 * ops, same numbers; inference keeps DL4J's path. It exists only in live graphs, put there by
 * {@link Helpers#accelerate}, never in a saved model.
 */
final class LeanActivationLayer extends ActivationLayer {
    private final OutOfPlaceActivation activation;
    private boolean leanLast;
    private FusedRelu fused; // the batch norm before it that computes this ReLU in synchronised passes
    private boolean fusedLast; // whether the last training forward pass took relu(z) from it
    private boolean fusedPending; // and its backward pass has not run yet
    private BlockedTrunk trunk; // the blocked trunk its input and output are inside, if any
    private boolean trunkPending; // whether the last training forward pass ran inside it, its backward pass to come

    private LeanActivationLayer(ActivationLayer original, DataType dataType, OutOfPlaceActivation activation) {
        super(original.conf(), dataType);
        setIndex(original.getIndex());
        setListeners(original.getListeners());
        this.activation = activation;
    }

    @Override
    public INDArray activate(boolean training, LayerWorkspaceMgr mgr) {
        if (!training) {
            return super.activate(false, mgr);
        }
        assertInputSet(false);
        fusedLast = fused != null && fused.take(input, layerConf().getLayerName());
        fusedPending = fusedLast;
        trunkPending = trunk != null && trunk.layout() != null;
        if (trunkPending) {
            trunk.check(input, layerConf().getLayerName());
        }
        if (fusedLast) {
            return input; // relu(z) already
        }
        INDArray out = mgr.createUninitialized(ArrayType.ACTIVATIONS, input.dataType(), input.shape(), input.ordering());
        activation.forward(input, out);
        return trunkPending ? trunk.mark(out) : out;
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr mgr) {
        assertInputSet(true);
        boolean inTrunk = trunkPending;
        trunkPending = false;
        if (inTrunk) {
            trunk.check(epsilon, layerConf().getLayerName());
        }
        if (fusedPending) {
            // The batch norm masks the gradient in its own backward pass; DL4J wants it in this layer's workspace.
            fusedPending = false;
            INDArray dx = mgr.leverageTo(ArrayType.ACTIVATION_GRAD, epsilon);
            if (inTrunk) {
                trunk.mark(dx);
            }
            fused.give(dx);
            leanLast = true;
            return new Pair<>(new DefaultGradient(), dx);
        }
        INDArray dx = activation.backward(input, epsilon,
                () -> mgr.createUninitialized(ArrayType.ACTIVATION_GRAD, input.dataType(), input.shape(), 'c'));
        leanLast = dx != null;
        if (inTrunk) {
            if (dx == null) {
                throw new IllegalStateException("activation layer '" + layerConf().getLayerName()
                        + "': no lean backward pass inside a blocked trunk");
            }
            trunk.mark(dx);
        }
        return leanLast ? new Pair<>(new DefaultGradient(), dx) : super.backpropGradient(epsilon, mgr);
    }

    /** Links this layer to the batch norm that computes its ReLU in synchronised passes; see {@link FusedRelu}. */
    void fusedRelu(FusedRelu link) {
        this.fused = link;
    }

    /** Puts this layer inside {@code trunk}: its input and output are inside. */
    void inTrunk(BlockedTrunk trunk) {
        this.trunk = trunk;
    }

    /** The link to the batch norm that computes this layer's ReLU, or null. */
    FusedRelu fusedRelu() {
        return fused;
    }

    /** Whether the last training forward pass took its input as relu(z) from the batch norm before it; for tests. */
    boolean fusedLast() {
        return fusedLast;
    }

    /** Whether the last backward pass wrote the gradient straight into its workspace. */
    boolean leanLast() {
        return leanLast;
    }

    /**
     * Puts a lean copy of {@code layer} into {@code graph} in its place when its activation is an
     * {@link OutOfPlaceActivation} and it has no dropout of its own; returns whether it did.
     */
    static boolean replace(ComputationGraph graph, ActivationLayer layer) {
        var conf = (org.deeplearning4j.nn.conf.layers.ActivationLayer) layer.conf().getLayer();
        if (layer.getClass() != ActivationLayer.class || conf.getIDropout() != null
                || !(conf.getActivationFn() instanceof OutOfPlaceActivation fn)) {
            return false;
        }
        LiveLayers.replace(graph, layer, new LeanActivationLayer(layer, graph.getConfiguration().getDataType(), fn));
        return true;
    }
}
