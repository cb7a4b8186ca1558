package io.cnnlab.helpers;

import org.bytedeco.dnnl.memory;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.layers.convolution.subsampling.SubsamplingLayer;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * DL4J's pooling layer with its forward pass through the layer's helper too: DL4J's
 * {@code SubsamplingLayer.activate} calls libnd4j's {@code maxpool2d} op directly, whose oneDNN
 * implementation keeps plain NCHW and so falls back to oneDNN's reference kernel on AVX2 CPUs, while the
 * backward pass already asks the helper ({@link OneDnnPoolingHelper}, which picks a layout with a JIT
 * kernel). Where the convolution before it hands its output over in a blocked layout ({@link BlockedHandoff}),
 * it pools that layout directly and hands the input gradient back in it; where it starts or ends a
 * {@link BlockedTrunk}, its output, or input, stays in that layout too. Same configuration, same arithmetic
 * (max pooling is exact); it exists only in live graphs, put there by {@link Helpers#accelerate}, never in a
 * saved model.
 */
final class OneDnnSubsamplingLayer extends SubsamplingLayer {
    private final OneDnnPoolingHelper oneDnn;
    private BlockedHandoff handoff;
    // The plan of the last training pass that took a blocked input, and that input, for its backward pass.
    private OneDnnPoolingHelper.Plan blockedPlan;
    private INDArray blockedInput;
    private boolean blockedLast;
    // The blocked trunk this layer starts (its output inside) or ends (its input inside), and whether the last
    // training pass's output, or input, was inside it.
    private BlockedTrunk starts;
    private BlockedTrunk ends;
    private boolean outputInTrunk;
    private boolean inputInTrunk;

    private OneDnnSubsamplingLayer(SubsamplingLayer original, DataType dataType, OneDnnPoolingHelper helper) {
        super(original.conf(), dataType);
        setIndex(original.getIndex());
        setListeners(original.getListeners());
        this.helper = helper;
        this.oneDnn = helper;
    }

    /** Links this layer to the convolution that alone feeds it; see {@link Helpers#accelerate}. */
    void handoff(BlockedHandoff handoff) {
        this.handoff = handoff;
    }

    /**
     * Whether this layer can pool an input of {@code shape} held in {@code layout}: max pooling, NCHW, no
     * dilation, a geometry oneDNN expresses and a JIT kernel for that layout.
     */
    boolean takesBlocked(long[] shape, memory.format_tag layout) {
        var c = layerConf();
        return c.getPoolingType() == PoolingType.MAX && c.getCnn2dDataFormat() == CNN2DFormat.NCHW
                && c.getDilation()[0] == 1 && c.getDilation()[1] == 1 && layerConf().getIDropout() == null
                && oneDnn.blockedPlan(shape, layout, c.getKernelSize(), c.getStride(), c.getPadding(), convolutionMode) != null;
    }

    /** Makes this layer the start of {@code trunk}: its output is inside. */
    void startsTrunk(BlockedTrunk trunk) {
        this.starts = trunk;
    }

    /** Makes this layer an end of {@code trunk}: its input is inside. */
    void endsTrunk(BlockedTrunk trunk) {
        this.ends = trunk;
    }

    /** The trunk this layer starts, or null. */
    BlockedTrunk trunk() {
        return starts;
    }

    /**
     * Whether this layer can pool an input held in a blocked layout, as far as its configuration tells: max
     * pooling, NCHW, no dilation, no dropout.
     */
    boolean poolsBlocked() {
        var c = layerConf();
        return c.getPoolingType() == PoolingType.MAX && c.getCnn2dDataFormat() == CNN2DFormat.NCHW
                && c.getDilation()[0] == 1 && c.getDilation()[1] == 1 && c.getIDropout() == null;
    }

    @Override
    public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(false);
        blockedPlan = null;
        blockedInput = null;
        blockedLast = false;
        outputInTrunk = false;
        inputInTrunk = false;
        var c = layerConf();
        memory.format_tag layout = handoff == null ? null : handoff.take(input);
        boolean outputBlocked = starts != null && starts.open(training, layout, this) != null;
        if (layout == null && ends != null && ends.layout() != null) {
            ends.check(input, layerConf().getLayerName());
            layout = ends.layout();
            inputInTrunk = true;
        }
        if (layout != null) {
            var plan = oneDnn.blockedPlan(input.shape(), layout, c.getKernelSize(), c.getStride(), c.getPadding(),
                    convolutionMode, outputBlocked);
            if (plan == null) {
                throw new IllegalStateException("pooling layer '" + layerConf().getLayerName() + "': no plan for its "
                        + layout + " input" + (outputBlocked ? " and output" : ""));
            }
            INDArray out = oneDnn.forwardBlocked(plan, input, training, workspaceMgr);
            if (training) {
                blockedPlan = plan;
                blockedInput = input;
            }
            blockedLast = true;
            outputInTrunk = outputBlocked;
            return outputBlocked ? starts.mark(out) : out;
        }
        INDArray out = oneDnn.forward(input, training, c.getKernelSize(), c.getStride(), c.getPadding(), c.getPoolingType(),
                convolutionMode, c.getDilation(), c.getCnn2dDataFormat(), workspaceMgr);
        return out != null ? out : super.activate(training, workspaceMgr);
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
        var plan = blockedPlan;
        blockedPlan = null;
        blockedLast = false;
        if (plan == null) {
            return super.backpropGradient(epsilon, workspaceMgr);
        }
        if (blockedInput != input) {
            throw new IllegalStateException("pooling layer '" + conf().getLayer().getLayerName()
                    + "': backward pass of another input than its blocked forward pass");
        }
        blockedInput = null;
        assertInputSet(true);
        if (outputInTrunk) {
            starts.check(epsilon, layerConf().getLayerName());
        }
        INDArray grad = oneDnn.backwardBlocked(plan, input, epsilon, workspaceMgr);
        if (inputInTrunk) {
            ends.mark(grad);
        } else {
            handoff.give(grad, plan.layout());
        }
        outputInTrunk = false;
        inputInTrunk = false;
        blockedLast = true;
        return new Pair<>(new DefaultGradient(), grad);
    }

    /** Whether the last forward or backward pass took or gave a blocked array; for tests. */
    boolean blockedLast() {
        return blockedLast;
    }

    @Override
    public void clear() {
        super.clear();
        blockedPlan = null;
        blockedInput = null;
    }

    OneDnnPoolingHelper oneDnn() {
        return oneDnn;
    }

    /** Puts a copy of {@code layer} with {@code helper} into {@code graph} in its place; returns the copy. */
    static OneDnnSubsamplingLayer replace(ComputationGraph graph, SubsamplingLayer layer, OneDnnPoolingHelper helper) {
        var fresh = new OneDnnSubsamplingLayer(layer, graph.getConfiguration().getDataType(), helper);
        LiveLayers.replace(graph, layer, fresh);
        return fresh;
    }
}
