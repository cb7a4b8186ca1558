package io.cnnlab.helpers;

import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.pooling_backward;
import org.bytedeco.dnnl.pooling_forward;
import org.bytedeco.dnnl.primitive;
import org.bytedeco.javacpp.BytePointer;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.convolution.subsampling.SubsamplingHelper;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Arrays;
import java.util.Map;

import static io.cnnlab.helpers.OneDnnPlan.dense;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_WORKSPACE;
import static org.bytedeco.dnnl.global.dnnl.algorithm.pooling_max;
import static org.bytedeco.dnnl.global.dnnl.prop_kind.forward_training;

/**
 * Max pooling through oneDNN with primitives made once per input shape (see {@link OneDnnPlan}): the
 * backward pass through DL4J's helper interface, the forward pass through {@link OneDnnSubsamplingLayer}
 * (DL4J's layer does not ask its helper for the forward pass). oneDNN's max-pooling backward pass needs
 * the forward pass's workspace (where each maximum was). A training forward pass keeps it, in a buffer of
 * its plan, for the backward pass of the same input on the same thread; any other backward call (no
 * training forward pass before it, another input array) runs the forward pass into scratch buffers first,
 * as libnd4j's {@code maxpool2d_bp} does. Keeping it relies on what DL4J's convolution layer relies on
 * for its cached pre-activations: a layer's input is not changed between its forward and backward pass.
 *
 * <p>The layout: oneDNN has JIT pooling kernels for plain NCHW only on some ISAs (AVX-512); elsewhere
 * (AVX2) plain NCHW runs its reference implementation, many times slower. A plan therefore takes plain
 * NCHW where oneDNN has a JIT kernel for it, else the first of oneDNN's channel-blocked layouts
 * ({@code nChw16c}, {@code nChw8c}) that has one, with reorders to and from NCHW around the call.
 * Average pooling, dilation, NHWC and other data types go to DL4J's helper.
 */
final class OneDnnPoolingHelper extends OneDnnHelper<SubsamplingHelper, OneDnnPoolingHelper.Plan>
        implements SubsamplingHelper {

    OneDnnPoolingHelper(SubsamplingHelper dl4j) {
        super(dl4j);
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray input, INDArray epsilon, int[] kernel, int[] strides,
                                                     int[] pad, PoolingType poolingType, ConvolutionMode convolutionMode,
                                                     int[] dilation, CNN2DFormat format, LayerWorkspaceMgr mgr) {
        boolean covered = poolingType == PoolingType.MAX && format == CNN2DFormat.NCHW && input.rank() == 4
                && input.dataType() == DataType.FLOAT && epsilon.dataType() == DataType.FLOAT
                && dilation[0] == 1 && dilation[1] == 1;
        Plan plan = covered ? plans.get(OneDnnPlan.Cache.key(input, 0), () -> Plan.of(input.shape(), kernel, strides,
                pad, convolutionMode)) : null;
        if (plan == null || !Arrays.equals(plan.outShape, epsilon.shape())) {
            return dl4j.backpropGradient(input, epsilon, kernel, strides, pad, poolingType, convolutionMode, dilation,
                    format, mgr);
        }
        INDArray gradAtInput = mgr.createUninitialized(ArrayType.ACTIVATION_GRAD, DataType.FLOAT, input.shape(), 'c');
        plan.backward(input, dense(input), dense(epsilon), gradAtInput);
        return new Pair<>(new DefaultGradient(), gradAtInput);
    }

    @Override
    public INDArray activate(INDArray input, boolean training, int[] kernel, int[] strides, int[] pad,
                             PoolingType poolingType, ConvolutionMode convolutionMode, int[] dilation,
                             CNN2DFormat format, LayerWorkspaceMgr mgr) {
        INDArray out = forward(input, training, kernel, strides, pad, poolingType, convolutionMode, dilation, format,
                mgr);
        return out != null ? out : dl4j.activate(input, training, kernel, strides, pad, poolingType, convolutionMode,
                dilation, format, mgr);
    }

    /**
     * The forward pass through a plan, or null where this helper does not cover the case; a training pass
     * keeps its workspace for the backward pass.
     */
    INDArray forward(INDArray input, boolean training, int[] kernel, int[] strides, int[] pad, PoolingType poolingType,
                     ConvolutionMode convolutionMode, int[] dilation, CNN2DFormat format, LayerWorkspaceMgr mgr) {
        boolean covered = poolingType == PoolingType.MAX && format == CNN2DFormat.NCHW && input.rank() == 4
                && input.dataType() == DataType.FLOAT && dilation[0] == 1 && dilation[1] == 1;
        Plan plan = covered ? plans.get(OneDnnPlan.Cache.key(input, 0), () -> Plan.of(input.shape(), kernel, strides,
                pad, convolutionMode)) : null;
        if (plan == null) {
            return null;
        }
        INDArray output = mgr.createUninitialized(ArrayType.ACTIVATIONS, DataType.FLOAT, plan.outShape, 'c');
        plan.forward(input, dense(input), output, training);
        return output;
    }

    /**
     * The plan for an input of {@code shape} held in the blocked layout {@code tag} (see {@link BlockedHandoff}),
     * or null where oneDNN has no JIT kernel for it or the geometry is not one oneDNN can express.
     */
    Plan blockedPlan(long[] shape, memory.format_tag tag, int[] kernel, int[] strides, int[] pad, ConvolutionMode mode) {
        return blockedPlan(shape, tag, kernel, strides, pad, mode, false);
    }

    /**
     * {@link #blockedPlan}, with the output and its gradient held in {@code tag} too where {@code outputInLayout}
     * (the start of a {@link BlockedTrunk}).
     */
    Plan blockedPlan(long[] shape, memory.format_tag tag, int[] kernel, int[] strides, int[] pad, ConvolutionMode mode,
                     boolean outputInLayout) {
        return plans.get(OneDnnPlan.Cache.key(shape, 1L + tag.ordinal(), outputInLayout ? 1 : 0),
                () -> Plan.blocked(shape, tag, kernel, strides, pad, mode, outputInLayout));
    }

    /** The forward pass of an input in {@code plan}'s blocked layout; the output NCHW, or blocked where the plan says. */
    INDArray forwardBlocked(Plan plan, INDArray input, boolean training, LayerWorkspaceMgr mgr) {
        INDArray output = mgr.createUninitialized(ArrayType.ACTIVATIONS, DataType.FLOAT, plan.outShape, 'c');
        plan.forward(input, input, output, training);
        return output;
    }

    /** The backward pass of an input in {@code plan}'s blocked layout; the gradient at it is in that layout too. */
    INDArray backwardBlocked(Plan plan, INDArray input, INDArray epsilon, LayerWorkspaceMgr mgr) {
        INDArray gradAtInput = mgr.createUninitialized(ArrayType.ACTIVATION_GRAD, DataType.FLOAT, input.shape(), 'c');
        plan.backward(input, input, dense(epsilon), gradAtInput);
        return gradAtInput;
    }

    /** Whether the last backward pass used the workspace a training forward pass kept; for tests. */
    boolean reusedWorkspace() {
        Plan last = plans.last();
        return last != null && last.reusedLast();
    }

    /** Forward and backward max pooling for one input shape, NCHW outside, the layout chosen inside. */
    static final class Plan extends OneDnnPlan {
        /** oneDNN's layouts, in the order tried: plain first, where it has a JIT kernel. */
        private static final memory.format_tag[] LAYOUTS = {memory.format_tag.nchw, memory.format_tag.nChw16c,
            memory.format_tag.nChw8c};
        final long[] outShape;
        final String layout;
        private final memory.format_tag tag;
        private final primitive fwd;
        private final primitive bwd;
        private final Arg src, dst, workspace, diffDst, diffSrc;
        // The workspace a training forward pass kept, and the input array, its address and the thread it was for.
        private BytePointer kept;
        private INDArray keptFor;
        private long keptAddress;
        private Thread keptThread;
        private boolean reusedLast;

        static Plan of(long[] in, int[] kernel, int[] strides, int[] pad, ConvolutionMode mode) {
            long[] k = {kernel[0], kernel[1]};
            long[][] geometry = outputAndRightPadding(in, k, strides, pad, new int[] {1, 1}, mode);
            if (geometry == null) {
                return null;
            }
            Plan reference = null;
            for (memory.format_tag layout : LAYOUTS) {
                Plan p = new Plan(in, k, strides, pad, geometry[0], geometry[1], layout);
                if (!p.isReference()) {
                    if (reference != null) {
                        reference.close();
                    }
                    return p;
                }
                if (reference == null) {
                    reference = p;
                } else {
                    p.close();
                }
            }
            return reference; // no JIT kernel in any layout: plain NCHW, no reorders
        }

        /**
         * A plan whose input and input gradient (and where {@code outputInLayout} its output and output gradient) are
         * held in {@code tag} (no reorder), or null without a JIT kernel.
         */
        static Plan blocked(long[] in, memory.format_tag tag, int[] kernel, int[] strides, int[] pad,
                            ConvolutionMode mode, boolean outputInLayout) {
            long[] k = {kernel[0], kernel[1]};
            long[][] geometry = outputAndRightPadding(in, k, strides, pad, new int[] {1, 1}, mode);
            if (geometry == null) {
                return null;
            }
            Plan p = new Plan(in, k, strides, pad, geometry[0], geometry[1], tag, true, outputInLayout);
            if (p.isReference()) {
                p.close();
                return null;
            }
            return p;
        }

        private Plan(long[] in, long[] kernel, int[] strides, int[] pad, long[] outHw, long[] padR,
                     memory.format_tag tag) {
            this(in, kernel, strides, pad, outHw, padR, tag, false, false);
        }

        private Plan(long[] in, long[] kernel, int[] strides, int[] pad, long[] outHw, long[] padR,
                     memory.format_tag tag, boolean inputInLayout, boolean outputInLayout) {
            outShape = new long[] {in[0], in[1], outHw[0], outHw[1]};
            layout = tag.toString();
            this.tag = tag;
            long[] st = {strides[0], strides[1]};
            long[] padL = {pad[0], pad[1]};
            memory.desc y = own(desc(outShape, memory.format_tag.nchw));
            memory.desc xi = own(desc(in, tag));
            memory.desc x = inputInLayout ? xi : own(desc(in, memory.format_tag.nchw));
            memory.desc yi = tag == memory.format_tag.nchw ? y : own(desc(outShape, tag));
            if (outputInLayout) {
                y = yi;
            }
            var fd = own(new pooling_forward.desc(forward_training, pooling_max, xi, yi, st, kernel, padL, padR));
            var fpd = own(new pooling_forward.primitive_desc(fd, ENGINE));
            fwd = own(new pooling_forward(fpd));
            var bd = own(new pooling_backward.desc(pooling_max, xi, yi, st, kernel, padL, padR));
            var bpd = own(new pooling_backward.primitive_desc(bd, ENGINE, fpd));
            bwd = own(new pooling_backward(bpd));
            kernels.add(fpd.impl_info_str().getString());
            kernels.add(bpd.impl_info_str().getString());
            src = new Arg(x, xi, true, 0);
            dst = new Arg(y, yi, false, 1);
            workspace = new Arg(own(fpd.workspace_desc()), 2);
            diffDst = new Arg(y, yi, true, 3);
            diffSrc = new Arg(x, xi, false, 4);
            args(fwd, Map.of(DNNL_ARG_SRC, src, DNNL_ARG_DST, dst, DNNL_ARG_WORKSPACE, workspace));
            args(bwd, Map.of(DNNL_ARG_DIFF_DST, diffDst, DNNL_ARG_WORKSPACE, workspace, DNNL_ARG_DIFF_SRC, diffSrc));
        }

        /** The layout the pooling runs in. */
        memory.format_tag layout() {
            return tag;
        }

        /** Whether oneDNN runs a reference (non-JIT) implementation for this plan's forward or backward pass. */
        boolean isReference() {
            return kernels.stream().anyMatch(k -> k.startsWith("ref") || k.contains("simple"));
        }

        /**
         * Max pooling of {@code x} into {@code y}; when {@code training}, into this plan's own workspace,
         * kept for {@link #backward} of {@code input} (the layer's input, {@code x} or its dense copy).
         */
        void forward(INDArray input, INDArray x, INDArray y, boolean training) {
            Scratch s = scratch();
            src.in(x, s);
            dst.bind(y, s);
            keptFor = null;
            if (training) {
                workspace.bindTo(kept());
            } else {
                workspace.bind(null, s);
            }
            execute(fwd);
            dst.out();
            stream._wait();
            if (training) {
                keptFor = input;
                keptAddress = input.data().address();
                keptThread = Thread.currentThread();
            }
        }

        /**
         * The gradient at the input, {@code dx}, from the gradient at the output, {@code dy}: with the
         * workspace the training forward pass of this same {@code input} kept, else with a forward pass first.
         */
        void backward(INDArray input, INDArray x, INDArray dy, INDArray dx) {
            Scratch s = scratch();
            boolean reuse = keptFor == input && keptAddress == input.data().address()
                    && keptThread == Thread.currentThread();
            keptFor = null; // one backward pass per forward pass
            if (reuse) {
                workspace.bindTo(kept());
            } else {
                src.in(x, s);
                dst.bind(null, s);
                workspace.bind(null, s);
                execute(fwd);
            }
            diffDst.in(dy, s);
            diffSrc.bind(dx, s);
            execute(bwd);
            diffSrc.out();
            stream._wait();
            reusedLast = reuse;
        }

        /** Whether the last backward pass used the workspace its training forward pass kept; for tests. */
        boolean reusedLast() {
            return reusedLast;
        }

        private BytePointer kept() {
            if (kept == null) {
                kept = own(aligned(workspace.bytes()));
            }
            return kept;
        }
    }
}
