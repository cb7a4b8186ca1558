package io.cnnlab.helpers;

import org.bytedeco.dnnl.convolution_backward_data;
import org.bytedeco.dnnl.convolution_backward_weights;
import org.bytedeco.dnnl.convolution_forward;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.post_ops;
import org.bytedeco.dnnl.primitive;
import org.bytedeco.dnnl.primitive_attr;
import org.bytedeco.dnnl.global.dnnl.algorithm;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer.AlgoMode;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer.BwdDataAlgo;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer.BwdFilterAlgo;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer.FwdAlgo;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.convolution.ConvolutionHelper;
import org.deeplearning4j.nn.params.ConvolutionParamInitializer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.activations.impl.ActivationTanH;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

import static io.cnnlab.helpers.OneDnnPlan.dense;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_BIAS;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_BIAS;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_WEIGHTS;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_WEIGHTS;
import static org.bytedeco.dnnl.global.dnnl.algorithm.convolution_auto;
import static org.bytedeco.dnnl.global.dnnl.algorithm.convolution_direct;
import static org.bytedeco.dnnl.global.dnnl.algorithm.eltwise_relu;
import static org.bytedeco.dnnl.global.dnnl.algorithm.eltwise_relu_use_dst_for_bwd;
import static org.bytedeco.dnnl.global.dnnl.algorithm.eltwise_tanh;
import static org.bytedeco.dnnl.global.dnnl.algorithm.eltwise_tanh_use_dst_for_bwd;
import static org.bytedeco.dnnl.global.dnnl.prop_kind.forward_training;

/**
 * A 2-d convolution helper that calls oneDNN directly (JavaCPP's {@code org.bytedeco:dnnl} preset) with
 * its primitives made once per input shape, where DL4J's helper goes through libnd4j's {@code conv2d} op,
 * which makes its oneDNN primitives and their reordered buffers anew on every call. The NCHW arrays are
 * reordered to and from oneDNN's blocked layouts in per-thread scratch buffers, kept between calls.
 * Measurements: docs/performance-log.md.
 *
 * <p>A convolution that reads the network's input is made without {@code inputGradient}: its backward
 * pass computes the weight and bias gradients only, which is all training uses there.
 * NHWC and other data types go to DL4J's helper.
 */
final class OneDnnConvolutionHelper extends OneDnnHelper<ConvolutionHelper, OneDnnConvolutionHelper.Plan>
        implements ConvolutionHelper {
    /**
     * From this many input and output channels oneDNN may choose its algorithm (Winograd where the ISA has
     * it), which is faster for {@code resdeep}'s 32→32 blocks; below it, for the notebook's 16→8 and 32→16
     * layers, oneDNN's own choice was slower than direct convolution (docs/performance-log.md).
     */
    private static final int AUTO_MIN_CHANNELS = 32;

    private final boolean inputGradient;
    // The layer's own setting: DL4J hands a helper that is not its own a zero bias and a dummy bias gradient
    // when the layer has none, which the plans then leave out.
    private final boolean bias;

    OneDnnConvolutionHelper(ConvolutionHelper dl4j, boolean inputGradient, boolean bias) {
        super(dl4j);
        this.inputGradient = inputGradient;
        this.bias = bias;
    }

    /** Whether the backward pass computes the gradient with respect to the layer's input. */
    public boolean inputGradient() {
        return inputGradient;
    }

    private static boolean covers(INDArray input, INDArray weights, CNN2DFormat format) {
        return format == CNN2DFormat.NCHW && input.rank() == 4 && input.dataType() == DataType.FLOAT
                && weights.dataType() == DataType.FLOAT;
    }

    @Override
    public INDArray preOutput(INDArray input, INDArray weights, INDArray bias, int[] kernel, int[] strides, int[] pad,
                              AlgoMode mode, FwdAlgo fwdAlgo, ConvolutionMode convolutionMode, int[] dilation,
                              CNN2DFormat format, LayerWorkspaceMgr mgr) {
        if (!covers(input, weights, format) || this.bias && bias == null) {
            return dl4j.preOutput(input, weights, bias, kernel, strides, pad, mode, fwdAlgo, convolutionMode, dilation,
                    format, mgr);
        }
        Plan plan = plan(input, weights, strides, pad, dilation, convolutionMode, null, false, null);
        if (plan == null) {
            return dl4j.preOutput(input, weights, bias, kernel, strides, pad, mode, fwdAlgo, convolutionMode, dilation,
                    format, mgr);
        }
        INDArray out = mgr.createUninitialized(ArrayType.ACTIVATIONS, DataType.FLOAT, plan.outShape, 'c');
        plan.forward(dense(input), dense(weights), this.bias ? dense(bias) : null, out);
        return out;
    }

    @Override
    public INDArray activate(INDArray z, IActivation afn, boolean training) {
        return dl4j.activate(z, afn, training);
    }

    /**
     * An activation differentiated from its own output, so that the layer never holds the pre-activation
     * (see {@link OneDnnConvolutionLayer}). ReLU runs inside the convolution primitive (an eltwise post-op).
     * tanh does not: as a post-op, and as oneDNN's eltwise primitive, it is many times slower under AVX2 than
     * libnd4j's {@code tanh} op, which the layer applies in place instead ({@code net}'s first layer, 32
     * images, jit:avx2: the convolution 0.42 ms, with a tanh post-op 1.9 ms, the eltwise primitive 1.3 ms;
     * docs/performance-log.md).
     */
    enum Fused {
        IDENTITY(null, false), TANH(eltwise_tanh, false), RELU(eltwise_relu, true);

        final algorithm forward;
        final boolean postOp;

        Fused(algorithm forward, boolean postOp) {
            this.forward = forward;
            this.postOp = postOp;
        }

        /** The backward algorithm that reads the activation's output instead of its input. */
        algorithm backward() {
            return this == TANH ? eltwise_tanh_use_dst_for_bwd : eltwise_relu_use_dst_for_bwd;
        }

        /**
         * The fused form of DL4J's activation {@code fn} (or of cnnlab's run-time stand-in for it), or null:
         * tanh, plain ReLU (no cap, threshold or slope) and the identity.
         */
        static Fused of(IActivation fn) {
            if (fn.getClass() == ActivationTanH.class || fn.getClass() == OneDnnTanH.class) {
                return TANH;
            }
            if ((fn.getClass() == ActivationReLU.class || fn.getClass() == FastReLU.class) && fn.equals(new ActivationReLU())) {
                return RELU;
            }
            return fn.getClass() == ActivationIdentity.class ? IDENTITY : null;
        }
    }

    /**
     * The convolution, followed by {@code activation} where that is a post-op; null where this helper does not
     * cover the case (the caller then takes DL4J's path). With {@code handoff}, the output is written in the
     * convolution's blocked layout and handed to the pooling layer, where that layer takes the layout.
     */
    INDArray activated(INDArray input, INDArray weights, INDArray bias, int[] strides, int[] pad, int[] dilation,
                       ConvolutionMode convolutionMode, CNN2DFormat format, Fused activation, BlockedHandoff handoff,
                       memory.format_tag inputLayout, LayerWorkspaceMgr mgr) {
        if (!covers(input, weights, format) || this.bias && bias == null || inputLayout != null && !inputGradient) {
            return null;
        }
        Plan plan = plan(input, weights, strides, pad, dilation, convolutionMode, activation, false, inputLayout);
        if (plan == null) {
            return null;
        }
        if (handoff != null && plan.blocked != null && handoff.consumerTakes(plan.outShape, plan.blocked)) {
            plan = plan(input, weights, strides, pad, dilation, convolutionMode, activation, true, inputLayout);
        }
        INDArray out = mgr.createUninitialized(ArrayType.ACTIVATIONS, DataType.FLOAT, plan.outShape, 'c');
        plan.forward(dense(input), dense(weights), this.bias ? dense(bias) : null, out);
        if (handoff != null) {
            handoff.give(plan.handsOff ? out : null, plan.blocked);
        }
        return out;
    }

    /**
     * The backward pass of {@link #activated}: the gradient at the pre-activation from {@code y}, the
     * activation's output, and {@code dy}, the gradient there, then the convolution's gradients as
     * {@link #backpropGradient} returns them; null where this helper does not cover the case. {@code blocked}:
     * {@code y} and {@code dy} are in the layout of the plan that handed {@code y} off (see {@link BlockedHandoff});
     * {@code inputLayout}: the input and its gradient are in that layout (see {@link BlockedTrunk}), null: NCHW.
     */
    Pair<Gradient, INDArray> backpropActivated(INDArray input, INDArray weights, INDArray y, INDArray dy,
                                               int[] strides, int[] pad, int[] dilation,
                                               ConvolutionMode convolutionMode, CNN2DFormat format, Fused activation,
                                               boolean blocked, memory.format_tag inputLayout,
                                               INDArray biasGradView, INDArray weightGradView,
                                               LayerWorkspaceMgr mgr) {
        if (!covers(input, weights, format) || dy.dataType() != DataType.FLOAT
                || this.bias != (biasGradView != null)) {
            return null;
        }
        Plan plan = plan(input, weights, strides, pad, dilation, convolutionMode, activation, blocked, inputLayout);
        if (plan == null || !Arrays.equals(plan.outShape, dy.shape()) || !Arrays.equals(plan.outShape, y.shape())) {
            return null;
        }
        INDArray delta = dense(dy);
        if (activation.forward != null) {
            delta = mgr.createUninitialized(ArrayType.BP_WORKING_MEM, DataType.FLOAT, plan.outShape, 'c');
            plan.activationBackward(dense(y), dense(dy), delta);
        }
        return backward(plan, input, weights, delta, biasGradView, weightGradView, mgr);
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray input, INDArray weights, INDArray bias, INDArray delta,
                                                     int[] kernel, int[] strides, int[] pad, INDArray biasGradView,
                                                     INDArray weightGradView, IActivation afn, AlgoMode mode,
                                                     BwdFilterAlgo bwdFilterAlgo, BwdDataAlgo bwdDataAlgo,
                                                     ConvolutionMode convolutionMode, int[] dilation, CNN2DFormat format,
                                                     LayerWorkspaceMgr mgr) {
        boolean hasBias = this.bias && biasGradView != null;
        if (!covers(input, weights, format) || delta.dataType() != DataType.FLOAT || hasBias != this.bias) {
            return dl4j.backpropGradient(input, weights, bias, delta, kernel, strides, pad, biasGradView, weightGradView,
                    afn, mode, bwdFilterAlgo, bwdDataAlgo, convolutionMode, dilation, format, mgr);
        }
        Plan plan = plan(input, weights, strides, pad, dilation, convolutionMode, null, false, null);
        if (plan == null) {
            return dl4j.backpropGradient(input, weights, bias, delta, kernel, strides, pad, biasGradView, weightGradView,
                    afn, mode, bwdFilterAlgo, bwdDataAlgo, convolutionMode, dilation, format, mgr);
        }
        return backward(plan, input, weights, delta, biasGradView, weightGradView, mgr);
    }

    /** The gradients through {@code plan}'s backward primitives, as DL4J's helper interface returns them. */
    private Pair<Gradient, INDArray> backward(Plan plan, INDArray input, INDArray weights, INDArray delta,
                                              INDArray biasGradView, INDArray weightGradView, LayerWorkspaceMgr mgr) {
        boolean hasBias = this.bias;
        INDArray gradAtInput = inputGradient
                ? mgr.createUninitialized(ArrayType.ACTIVATION_GRAD, DataType.FLOAT, input.shape(), 'c') : null;
        INDArray dW = dense(weightGradView);
        INDArray dB = hasBias ? dense(biasGradView) : null;
        plan.backward(dense(input), dense(weights), dense(delta), gradAtInput, dW, dB);
        if (dW != weightGradView) {
            weightGradView.assign(dW);
        }
        if (dB != null && dB != biasGradView) {
            biasGradView.assign(dB);
        }
        Gradient g = new DefaultGradient();
        if (hasBias) {
            g.gradientForVariable().put(ConvolutionParamInitializer.BIAS_KEY, biasGradView);
        }
        g.gradientForVariable().put(ConvolutionParamInitializer.WEIGHT_KEY, weightGradView);
        // Without the input gradient DL4J passes null on to the input vertex, which drops it.
        return new Pair<>(g, gradAtInput);
    }

    /**
     * The plan for {@code input}'s shape, without an activation ({@code fused} null) or with it; {@code handoff}:
     * the variant whose output and output gradient stay in the convolution's blocked layout, where it has one;
     * {@code inputLayout}: the variant whose input and input gradient are in that layout (null: NCHW).
     */
    private Plan plan(INDArray input, INDArray weights, int[] strides, int[] pad, int[] dilation,
                      ConvolutionMode convolutionMode, Fused fused, boolean handoff, memory.format_tag inputLayout) {
        long variant = (fused == null ? 0 : 1 + fused.ordinal()) + (handoff ? 8 : 0);
        long in = inputLayout == null ? 0 : 1 + inputLayout.ordinal();
        return plans.get(OneDnnPlan.Cache.key(input.shape(), variant, in),
                () -> Plan.of(input.shape(), weights.shape(), bias, strides, pad, dilation, convolutionMode, inputGradient,
                        fused, handoff, inputLayout));
    }

    /** The convolution's forward, backward-data and backward-weights primitives for one input shape. */
    static final class Plan extends OneDnnPlan {
        final long[] outShape;
        private final primitive fwd;
        // Each primitive's arguments: source, weights, bias, destination and their gradients ("diff").
        private final Arg fwdSrc, fwdWeights, fwdBias, fwdDst;
        private final primitive bwdData; // null without inputGradient
        private final Arg dataDiffDst, dataWeights, dataDiffSrc;
        private final primitive bwdWeights;
        private final Arg wgtSrc, wgtDiffDst, wgtDiffWeights, wgtDiffBias;
        private final EltwiseBackward activation; // null without a fused activation, or with the identity
        /** The blocked layout of the output and its gradient, where the convolution's primitives all use one. */
        final memory.format_tag blocked;
        /** Whether the output and its gradient stay in {@link #blocked} (the hand-off variant), unreordered. */
        final boolean handsOff;

        static Plan of(long[] in, long[] w, boolean bias, int[] strides, int[] pad, int[] dilation,
                       ConvolutionMode mode, boolean inputGradient, Fused fused, boolean handoff,
                       memory.format_tag inputLayout) {
            long[][] geometry = outputAndRightPadding(in, new long[] {w[2], w[3]}, strides, pad, dilation, mode);
            if (inputLayout != null) {
                try (memory.desc plain = desc(in, memory.format_tag.nchw); memory.desc held = desc(in, inputLayout)) {
                    if (plain.get_size() != held.get_size()) {
                        return null; // channels not a multiple of the block: the input array cannot hold the layout
                    }
                }
            }
            return geometry == null ? null : new Plan(in, w, new long[] {in[0], w[0], geometry[0][0], geometry[0][1]},
                    bias, strides, pad, geometry[1], dilation, inputGradient, fused, handoff, inputLayout);
        }

        private Plan(long[] in, long[] w, long[] out, boolean bias, int[] strides, int[] pad, long[] padR,
                     int[] dilation, boolean inputGradient, Fused fused, boolean handoff,
                     memory.format_tag inputLayout) {
            outShape = out;
            long[] st = {strides[0], strides[1]};
            long[] padL = {pad[0], pad[1]};
            long[] dil = {dilation[0] - 1, dilation[1] - 1}; // oneDNN counts the gaps
            memory.desc xUser = own(desc(in, memory.format_tag.nchw));
            memory.desc wUser = own(desc(w, memory.format_tag.oihw));
            memory.desc bUser = own(desc(new long[] {w[0]}, memory.format_tag.x));
            memory.desc yUser = own(desc(out, memory.format_tag.nchw));
            memory.desc xAny = own(desc(in, memory.format_tag.any));
            memory.desc wAny = own(desc(w, memory.format_tag.any));
            memory.desc bAny = bias ? own(desc(new long[] {w[0]}, memory.format_tag.any)) : own(new memory.desc());
            memory.desc yAny = own(desc(out, memory.format_tag.any));

            var alg = Math.min(in[1], w[0]) >= AUTO_MIN_CHANNELS ? convolution_auto : convolution_direct;
            var fd = own(new convolution_forward.desc(forward_training, alg, xAny, wAny, bAny, yAny, st,
                    dil, padL, padR));
            convolution_forward.primitive_desc fpd;
            if (fused != null && fused.postOp) {
                post_ops ops = own(new post_ops());
                ops.append_eltwise(1f, fused.forward, 0f, 0f);
                primitive_attr attr = own(new primitive_attr());
                attr.set_post_ops(ops);
                fpd = own(new convolution_forward.primitive_desc(fd, attr, ENGINE));
            } else {
                fpd = own(new convolution_forward.primitive_desc(fd, ENGINE));
            }
            // The activation's backward pass, from its output, on the plain NCHW arrays DL4J holds.
            activation = fused != null && fused.forward != null ? new EltwiseBackward(out, fused.backward(), true) : null;
            fwd = own(new convolution_forward(fpd));
            kernels.add(fpd.impl_info_str().getString());
            memory.desc yInner = own(fpd.dst_desc());
            var dpd = inputGradient ? own(new convolution_backward_data.primitive_desc(
                    own(new convolution_backward_data.desc(alg, xAny, wAny, yAny, st, dil, padL, padR)), ENGINE, fpd)) : null;
            var wpd = own(new convolution_backward_weights.primitive_desc(own(new convolution_backward_weights.desc(alg,
                    xAny, wAny, bAny, yAny, st, dil, padL, padR)), ENGINE, fpd));
            memory.desc wgtDiffDstDesc = own(wpd.diff_dst_desc());
            blocked = blockedLayout(out, yUser, yInner, dpd == null ? yInner : own(dpd.diff_dst_desc()), wgtDiffDstDesc);
            handsOff = handoff && blocked != null;
            // Handing off, the output and its gradient are bound as the blocked memories themselves: no reorder.
            memory.desc yOutside = handsOff ? yInner : yUser;
            // The input and its gradient as the array holds them: NCHW, or a trunk's blocked layout.
            memory.desc xOutside = inputLayout == null ? xUser : own(desc(in, inputLayout));
            fwdSrc = new Arg(xOutside, own(fpd.src_desc()), true, 0);
            fwdWeights = new Arg(wUser, own(fpd.weights_desc()), true, 1);
            fwdBias = bias ? new Arg(bUser, own(fpd.bias_desc()), true, 2) : null;
            fwdDst = new Arg(yOutside, yInner, false, 3);
            args(fwd, withBias(Map.of(DNNL_ARG_SRC, fwdSrc, DNNL_ARG_WEIGHTS, fwdWeights, DNNL_ARG_DST, fwdDst), DNNL_ARG_BIAS, fwdBias));

            if (inputGradient) {
                bwdData = own(new convolution_backward_data(dpd));
                kernels.add(dpd.impl_info_str().getString());
                dataDiffDst = new Arg(yOutside, own(dpd.diff_dst_desc()), true, 0);
                dataWeights = new Arg(wUser, own(dpd.weights_desc()), true, 1);
                dataDiffSrc = new Arg(xOutside, own(dpd.diff_src_desc()), false, 2);
                args(bwdData, Map.of(DNNL_ARG_DIFF_DST, dataDiffDst, DNNL_ARG_WEIGHTS, dataWeights, DNNL_ARG_DIFF_SRC, dataDiffSrc));
            } else {
                bwdData = null;
                dataDiffDst = dataWeights = dataDiffSrc = null;
            }
            bwdWeights = own(new convolution_backward_weights(wpd));
            kernels.add(wpd.impl_info_str().getString());
            wgtSrc = new Arg(xOutside, own(wpd.src_desc()), true, 3);
            // The same layout for both backward primitives (the usual case): one reorder of dataDiffDst serves both.
            wgtDiffDst = dataDiffDst != null && own(dataDiffDst.inner.get_desc()).equals(wgtDiffDstDesc) ? dataDiffDst : new Arg(yOutside, wgtDiffDstDesc, true, 4);
            wgtDiffWeights = new Arg(wUser, own(wpd.diff_weights_desc()), false, 5);
            wgtDiffBias = bias ? new Arg(bUser, own(wpd.diff_bias_desc()), false, 6) : null;
            args(bwdWeights, withBias(Map.of(DNNL_ARG_SRC, wgtSrc, DNNL_ARG_DIFF_DST, wgtDiffDst, DNNL_ARG_DIFF_WEIGHTS, wgtDiffWeights),
                    DNNL_ARG_DIFF_BIAS, wgtDiffBias));
        }

        /**
         * The blocked layout that the output ({@code y}) and both gradients at it use, where it is one of the layouts
         * a pooling plan takes and has no padding (so that the NCHW-shaped array holds it exactly); else null.
         */
        private memory.format_tag blockedLayout(long[] out, memory.desc plain, memory.desc y, memory.desc dataDiff,
                                                memory.desc weightsDiff) {
            if (!y.equals(dataDiff) || !y.equals(weightsDiff) || y.get_size() != plain.get_size()) {
                return null;
            }
            for (memory.format_tag tag : BlockedHandoff.LAYOUTS) {
                if (own(desc(out, tag)).equals(y)) {
                    return tag;
                }
            }
            return null;
        }

        private static Map<Integer, Arg> withBias(Map<Integer, Arg> args, int key, Arg bias) {
            if (bias == null) {
                return args;
            }
            Map<Integer, Arg> all = new HashMap<>(args);
            all.put(key, bias);
            return all;
        }

        void forward(INDArray x, INDArray w, INDArray b, INDArray y) {
            Scratch s = scratch();
            fwdSrc.in(x, s);
            fwdWeights.in(w, s);
            if (fwdBias != null) {
                fwdBias.in(b, s);
            }
            fwdDst.bind(y, s);
            execute(fwd);
            fwdDst.out();
            stream._wait();
        }

        /** The gradient at the fused activation's input, {@code dz}, from its output {@code y} and {@code dy}. */
        void activationBackward(INDArray y, INDArray dy, INDArray dz) {
            activation.run(y, dy, dz);
        }

        @Override
        public void close() {
            if (activation != null) {
                activation.close();
            }
            super.close();
        }

        void backward(INDArray x, INDArray w, INDArray dyArr, INDArray dxArr, INDArray dwArr, INDArray dbArr) {
            Scratch s = scratch();
            if (bwdData != null) {
                dataDiffDst.in(dyArr, s);
                dataWeights.in(w, s);
                dataDiffSrc.bind(dxArr, s);
                execute(bwdData);
                dataDiffSrc.out();
            }
            wgtSrc.in(x, s);
            if (wgtDiffDst != dataDiffDst) {
                wgtDiffDst.in(dyArr, s);
            }
            wgtDiffWeights.bind(dwArr, s);
            if (wgtDiffBias != null) {
                wgtDiffBias.bind(dbArr, s);
            }
            execute(bwdWeights);
            wgtDiffWeights.out();
            if (wgtDiffBias != null) {
                wgtDiffBias.out();
            }
            stream._wait();
        }
    }
}
