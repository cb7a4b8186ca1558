package io.cnnlab.helpers;

import org.bytedeco.dnnl.memory;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.layers.convolution.ConvolutionLayer;
import org.deeplearning4j.nn.params.ConvolutionParamInitializer;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.util.ConvolutionUtils;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * DL4J's convolution layer with its backward pass differentiating the activation from the layer's output:
 * DL4J's layer keeps a copy of the pre-activation z for its backward pass (with {@code CacheMode.DEVICE}),
 * a pass over the layer's largest array each step that this layer does not make. ReLU also runs inside
 * oneDNN's convolution primitive (a post-op), where DL4J's layer makes a second pass over z; tanh is applied
 * in place as DL4J's layer applies it (see {@link OneDnnConvolutionHelper.Fused} for why). The layer keeps its training output for the backward pass of
 * the same input (what DL4J's cached copy of z relies on too: a layer's input and output are not changed
 * between its forward and backward pass); any other call takes DL4J's path. Same configuration and
 * parameters; it exists only in live graphs, put there by {@link Helpers#accelerate}, never in a saved model.
 * Where the one layer reading its output takes oneDNN's blocked layout, training passes hand the output over in
 * that layout ({@link BlockedHandoff}); inside a {@link BlockedTrunk} they read the input, and write its gradient,
 * in the trunk's layout.
 */
final class OneDnnConvolutionLayer extends ConvolutionLayer {
    private final OneDnnConvolutionHelper.Fused activation;
    // The input and output of the last training forward pass, for its backward pass.
    private INDArray keptInput;
    private INDArray keptOutput;
    private boolean keptBlocked; // keptOutput in the blocked layout handed to the next layer
    private boolean fusedLast;
    private boolean handedOffLast;
    private BlockedHandoff handoff;
    private BlockedTrunk trunk; // the blocked trunk its input is inside, if any
    private memory.format_tag keptInputLayout; // the layout of keptInput (null: NCHW)
    private boolean trunkLast;

    private OneDnnConvolutionLayer(ConvolutionLayer original, DataType dataType, OneDnnConvolutionHelper helper,
                                   OneDnnConvolutionHelper.Fused activation) {
        super(original.conf(), dataType);
        setIndex(original.getIndex());
        setListeners(original.getListeners());
        setParamTable(original.paramTable());
        setParamsViewArray(original.params());
        if (original.getGradientsViewArray() != null) { // else the graph sets it on its first fit, in this layer
            setBackpropGradientsViewArray(original.getGradientsViewArray());
        }
        setCacheMode(original.conf().getCacheMode());
        this.helper = helper;
        this.activation = activation;
    }

    /**
     * Puts a copy of {@code layer} that fuses its activation into {@code graph} in its place, where the
     * activation has a fused form; returns the layer now in the graph.
     */
    static ConvolutionLayer replace(ComputationGraph graph, ConvolutionLayer layer, OneDnnConvolutionHelper helper) {
        var fused = OneDnnConvolutionHelper.Fused.of(layer.layerConf().getActivationFn());
        if (fused == null) {
            return layer;
        }
        var fresh = new OneDnnConvolutionLayer(layer, graph.getConfiguration().getDataType(), helper, fused);
        LiveLayers.replace(graph, layer, fresh);
        return fresh;
    }

    /** Makes this layer a reader of {@code trunk}: its input is inside. */
    void readsTrunk(BlockedTrunk trunk) {
        this.trunk = trunk;
    }

    /** Links this layer to the layer that alone reads its output; see {@link BlockedHandoff}. */
    void handoff(BlockedHandoff handoff) {
        this.handoff = handoff;
    }

    @Override
    public INDArray activate(boolean training, LayerWorkspaceMgr mgr) {
        assertInputSet(false);
        keptInput = null;
        keptOutput = null;
        keptBlocked = false;
        keptInputLayout = null;
        fusedLast = false;
        if (handoff != null) {
            handoff.clear();
        }
        memory.format_tag inputLayout = trunk == null ? null : trunk.layout();
        if (inputLayout != null) {
            trunk.check(input, layerConf().getLayerName());
        }
        if (!(helper instanceof OneDnnConvolutionHelper oneDnn)) {
            if (inputLayout != null) {
                throw new IllegalStateException(noPlan("input"));
            }
            return super.activate(training, mgr);
        }
        applyDropOutIfNecessary(training, mgr); // once per pass: DL4J's path does not apply it again
        var c = layerConf();
        BlockedHandoff to = handoff != null && BlockedHandoff.allowed(training, getListeners())
                ? handoff.forPass(training) : null;
        INDArray y = oneDnn.activated(input, getParamWithNoise(ConvolutionParamInitializer.WEIGHT_KEY, training, mgr),
                getParamWithNoise(ConvolutionParamInitializer.BIAS_KEY, training, mgr), c.getStride(), padding(),
                c.getDilation(), convolutionMode, c.getCnn2dDataFormat(), activation, to, inputLayout, mgr);
        if (y == null) {
            if (inputLayout != null) {
                throw new IllegalStateException(noPlan("input"));
            }
            return super.activate(training, mgr);
        }
        if (activation.forward != null && !activation.postOp) {
            y = c.getActivationFn().getActivation(y, training); // in place, as DL4J's layer applies it
        }
        fusedLast = true;
        if (training) {
            keptInput = input;
            keptOutput = y;
            keptBlocked = to != null && to.pending();
            keptInputLayout = inputLayout;
            handedOffLast = keptBlocked;
            trunkLast = inputLayout != null;
            preOutput = null; // DL4J's copy of z is from an earlier pass, if any: never to be used
        }
        return y;
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr mgr) {
        INDArray y = keptOutput;
        boolean kept = y != null && keptInput == input;
        boolean blocked = keptBlocked;
        memory.format_tag inputLayout = keptInputLayout;
        keptInput = null;
        keptOutput = null;
        keptBlocked = false;
        keptInputLayout = null;
        fusedLast = false;
        if (blocked && (!kept || handoff.take(epsilon) == null)) {
            // The output went out blocked; a gradient that did not come back the same way cannot be matched with it.
            throw new IllegalStateException("convolution layer '" + conf().getLayer().getLayerName()
                    + "': its blocked output's gradient did not come back from the layer it was handed to");
        }
        if (!kept || !(helper instanceof OneDnnConvolutionHelper oneDnn)) {
            if (inputLayout != null) {
                throw new IllegalStateException(noPlan("input"));
            }
            return super.backpropGradient(epsilon, mgr);
        }
        assertInputSet(true);
        var c = layerConf();
        Pair<Gradient, INDArray> ret = oneDnn.backpropActivated(input,
                getParamWithNoise(ConvolutionParamInitializer.WEIGHT_KEY, true, mgr), y, epsilon, c.getStride(),
                padding(), c.getDilation(), convolutionMode, c.getCnn2dDataFormat(), activation, blocked, inputLayout,
                hasBias() ? gradientViews.get(ConvolutionParamInitializer.BIAS_KEY) : null,
                gradientViews.get(ConvolutionParamInitializer.WEIGHT_KEY), mgr);
        if (ret == null) {
            if (blocked || inputLayout != null) {
                throw new IllegalStateException(noPlan(blocked ? "output" : "input"));
            }
            return super.backpropGradient(epsilon, mgr);
        }
        if (inputLayout != null && ret.getSecond() != null) {
            trunk.mark(ret.getSecond());
        }
        fusedLast = true;
        ret.setSecond(backpropDropOutIfPresent(ret.getSecond()));
        return ret;
    }

    private String noPlan(String what) {
        return "convolution layer '" + conf().getLayer().getLayerName() + "': no plan for its blocked " + what;
    }

    /** Whether the last training forward pass read its input blocked, inside a {@link BlockedTrunk}; for tests. */
    boolean trunkLast() {
        return trunkLast;
    }

    /** Whether the last training forward pass handed its output over blocked; for tests. */
    boolean handedOffLast() {
        return handedOffLast;
    }

    /** Whether the last forward or backward pass went through the fused primitives; for tests. */
    boolean fusedLast() {
        return fusedLast;
    }

    @Override
    public void clear() {
        super.clear();
        keptInput = null;
        keptOutput = null;
        keptBlocked = false;
        keptInputLayout = null;
        // A pending hand-off stays recorded: DL4J's inference pass clears each layer as soon as it has passed its
        // output on, before the next layer reads it, and a consumer that found no record would read blocked data
        // as NCHW. The next pass of this layer starts by clearing it.
    }

    /** The top and left padding, as DL4J's layer computes it (for "same" mode from the input's size). */
    private int[] padding() {
        var c = layerConf();
        if (convolutionMode != ConvolutionMode.Same || c.getCnn2dDataFormat() != CNN2DFormat.NCHW) {
            return c.getPadding();
        }
        int[] out = ConvolutionUtils.getOutputSize(input, c.getKernelSize(), c.getStride(), null, convolutionMode,
                c.getDilation(), CNN2DFormat.NCHW);
        return ConvolutionUtils.getSameModeTopLeftPadding(out, new int[] {(int) input.size(2), (int) input.size(3)},
                c.getKernelSize(), c.getStride(), c.getDilation());
    }
}
