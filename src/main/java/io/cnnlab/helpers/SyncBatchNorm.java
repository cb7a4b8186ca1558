package io.cnnlab.helpers;

import io.cnnlab.parallel.DataParallel;
import io.cnnlab.util.HostFloats;
import org.bytedeco.dnnl.batch_normalization_backward;
import org.bytedeco.dnnl.batch_normalization_forward;
import org.bytedeco.dnnl.binary;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.post_ops;
import org.bytedeco.dnnl.primitive;
import org.bytedeco.dnnl.primitive_attr;
import org.bytedeco.dnnl.global.dnnl.algorithm;
import org.bytedeco.dnnl.global.dnnl.normalization_flags;
import org.bytedeco.dnnl.global.dnnl.prop_kind;
import org.bytedeco.javacpp.FloatPointer;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.layers.normalization.BatchNormalization;
import org.deeplearning4j.nn.layers.normalization.BatchNormalizationHelper;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Phaser;

import static io.cnnlab.helpers.OneDnnPlan.dense;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_ATTR_MULTIPLE_POST_OP_BASE;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_SCALE;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_SHIFT;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_MEAN;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SCALE;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SHIFT;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SRC_0;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SRC_1;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_VARIANCE;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_WORKSPACE;
import static org.bytedeco.dnnl.global.dnnl.prop_kind.forward_training;

/**
 * Synchronised batch normalisation for {@link DataParallel}: while a batch is split across worker
 * threads, every worker's batch-norm layer normalises with the mean and variance of the whole batch,
 * and back-propagates through them, by exchanging per-channel statistics and sums with the other
 * workers (one barrier forward, one backward). The step is then the whole-batch step, as PyTorch's
 * SyncBatchNorm makes it across processes. Outside a split step (evaluation, or a thread that is not a worker)
 * each call goes to the helper DL4J chose (oneDNN) or to DL4J's built-in code.
 *
 * <p>The passes over the activations run as oneDNN primitives made once per input shape ({@link Plan});
 * only per-channel values cross into Java. ND4J M2.1's CPU reductions and broadcast ops call a function
 * object per element, and Java loops over host copies are not vectorised when the JIT stops at C1, as
 * {@code ./cnnlab} has it on small machines (docs/performance-log.md).
 *
 * <p>{@link Group#install} puts it into the layers through {@link LayerHelpers}.
 */
public final class SyncBatchNorm implements BatchNormalizationHelper {
    private static final ThreadLocal<Boolean> WORKER = ThreadLocal.withInitial(() -> false);
    private static final LayerHelpers HELPERS = new LayerHelpers(BatchNormalization.class);

    private final BatchNormalizationHelper single;
    private final Exchange exchange;
    private final int worker;
    private final OneDnnPlan.Cache<Plan> plans = new OneDnnPlan.Cache<>();
    private volatile RuntimeException injected;
    private float[] mean;
    private float[] var;
    private INDArray meanCache;
    private INDArray varCache;
    private long count;
    // The convolution that hands its output over (see BlockedHandoff), and the layout and array of the last
    // synchronised forward pass that took it, for its backward pass.
    private BlockedHandoff handoff;
    private memory.format_tag keptLayout;
    private INDArray keptX;
    // The ReLU layer whose ReLU the normalisation computes (see FusedRelu), and whether the last synchronised
    // forward pass did.
    private FusedRelu relu;
    private boolean keptRelu;
    // The blocked trunk this layer's output is inside, if any, and its layout in the last synchronised forward pass.
    private BlockedTrunk trunk;
    private memory.format_tag keptOutputLayout;

    SyncBatchNorm(BatchNormalizationHelper single, Exchange exchange, int worker) {
        this.single = single;
        this.exchange = exchange;
        this.worker = worker;
    }

    /** Marks the calling thread as one of a split step's workers, or no longer one. */
    public static void markWorkerThread(boolean worker) {
        WORKER.set(worker);
    }

    /** Whether the calling thread runs a slice of a split step, as {@link #markWorkerThread} marked it. */
    static boolean isWorkerThread() {
        return WORKER.get();
    }

    /**
     * Whether a synchronised pass of {@code layer} (this helper's) takes an input of {@code shape} held in
     * {@code layout} from the convolution before it, through {@code link}; asked by that convolution.
     */
    boolean takesBlocked(BatchNormalization layer, long[] shape, memory.format_tag layout, BlockedHandoff link) {
        if (!isWorkerThread() || layer.layerConf().getCnn2DFormat() != CNN2DFormat.NCHW || shape.length != 4
                || blockedPlan(shape, layer.layerConf().getEps(), layout) == null) {
            return false;
        }
        handoff = link;
        return true;
    }

    private Plan blockedPlan(long[] shape, double eps, memory.format_tag layout) {
        return blockedPlan(shape, eps, layout, false, null);
    }

    private Plan blockedPlan(long[] shape, double eps, memory.format_tag layout, boolean fusedRelu,
                             memory.format_tag outputLayout) {
        return plans.get(OneDnnPlan.Cache.key(shape, Double.doubleToLongBits(eps), 1L + layout.ordinal(),
                fusedRelu ? 1 : 0, outputLayout == null ? 0 : 1 + outputLayout.ordinal()),
                () -> Plan.blocked(shape, eps, layout, fusedRelu, outputLayout));
    }

    /** The plan for an input of {@code in}'s shape, in {@code layout} (null: NCHW), with the options given. */
    private Plan plan(INDArray in, double eps, memory.format_tag layout, boolean fusedRelu,
                      memory.format_tag outputLayout) {
        if (layout != null) {
            return blockedPlan(in.shape(), eps, layout, fusedRelu, outputLayout);
        }
        return plans.get(OneDnnPlan.Cache.key(in.shape(), Double.doubleToLongBits(eps), 0, fusedRelu ? 1 : 0,
                outputLayout == null ? 0 : 1 + outputLayout.ordinal()), () -> Plan.of(in.shape(), eps, fusedRelu,
                outputLayout));
    }

    private boolean synced(boolean training, INDArray x, CNN2DFormat format) {
        return training && WORKER.get() && x.rank() == 4 && format == CNN2DFormat.NCHW && x.dataType() == DataType.FLOAT;
    }

    @Override
    public INDArray preOutput(INDArray x, boolean training, long[] shape, INDArray gamma, INDArray beta, INDArray globalMean,
                              INDArray globalVar, double decay, double eps, CNN2DFormat format, LayerWorkspaceMgr mgr) {
        keptLayout = null;
        keptX = null;
        keptRelu = false;
        keptOutputLayout = null;
        if (!synced(training, x, format)) {
            // No hand-off can be pending: the convolution hands off only where this pass is synchronised.
            return single == null ? null
                    : single.preOutput(x, training, shape, gamma, beta, globalMean, globalVar, decay, eps, format, mgr);
        }
        try {
            // A failure here goes through the exchange, never to DL4J's own code, which would read blocked data as NCHW.
            memory.format_tag layout = handoff == null ? null : handoff.take(x);
            boolean fuse = relu != null && relu.allowed();
            if (relu != null) {
                relu.clear();
            }
            memory.format_tag outputLayout = trunk == null ? null : trunk.layout();
            INDArray out = syncedPreOutput(x, layout, fuse, outputLayout, gamma, beta, eps, mgr);
            if (outputLayout != null) {
                trunk.mark(out);
            }
            keptLayout = layout;
            keptX = layout == null ? null : x;
            keptRelu = fuse;
            keptOutputLayout = outputLayout;
            if (fuse) {
                relu.give(out);
            }
            return out;
        } catch (RuntimeException | Error e) {
            throw exchange.fail(worker, e);
        }
    }

    private INDArray syncedPreOutput(INDArray x, memory.format_tag layout, boolean fusedRelu,
                                     memory.format_tag outputLayout, INDArray gamma, INDArray beta, double eps,
                                     LayerWorkspaceMgr mgr) {
        RuntimeException fault = injected;
        if (fault != null) {
            injected = null;
            throw fault;
        }
        INDArray in = layout == null ? dense(x) : x;
        Plan plan = plan(in, eps, layout, fusedRelu, outputLayout);
        int c = plan.channels;
        INDArray out = mgr.createUninitialized(ArrayType.ACTIVATIONS, DataType.FLOAT, in.shape(), 'c');
        float[] sliceMean = new float[c];
        float[] sliceVar = new float[c];
        plan.sliceStatistics(in, out, sliceMean, sliceVar);
        // Every worker's slice size, means and variances, each in its own slots of the exchanged array.
        int workers = exchange.workers;
        double[] local = new double[workers * (2 * c + 1)];
        int at = worker * (2 * c + 1);
        local[at] = plan.count;
        for (int ch = 0; ch < c; ch++) {
            local[at + 1 + ch] = sliceMean[ch];
            local[at + 1 + c + ch] = sliceVar[ch];
        }
        double[] all = exchange.allSum(worker, local);
        // The whole batch's mean, and its variance pooled from the slices' (no difference of large sums).
        count = 0;
        double[] m = new double[c];
        for (int k = 0; k < workers; k++) {
            int w = k * (2 * c + 1);
            count += (long) all[w];
            for (int ch = 0; ch < c; ch++) {
                m[ch] += all[w] * all[w + 1 + ch];
            }
        }
        mean = new float[c];
        var = new float[c];
        for (int ch = 0; ch < c; ch++) {
            m[ch] /= count;
            double v = 0;
            for (int k = 0; k < workers; k++) {
                int w = k * (2 * c + 1);
                double d = all[w + 1 + ch] - m[ch];
                v += all[w] * (all[w + 1 + c + ch] + d * d);
            }
            mean[ch] = (float) m[ch];
            var[ch] = (float) (v / count);
        }
        plan.normalise(in, out, mean, var, channelValues(gamma, c, 1), channelValues(beta, c, 0));
        return out;
    }


    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray x, INDArray dy, long[] shape, INDArray gamma, INDArray beta,
                                                     INDArray dGammaView, INDArray dBetaView, double eps,
                                                     CNN2DFormat format, LayerWorkspaceMgr mgr) {
        memory.format_tag layout = keptLayout;
        INDArray blockedX = keptX;
        boolean fusedRelu = keptRelu;
        memory.format_tag outputLayout = keptOutputLayout;
        keptLayout = null;
        keptX = null;
        keptRelu = false;
        keptOutputLayout = null;
        if (!synced(true, x, format) || mean == null) {
            return single == null ? null
                    : single.backpropGradient(x, dy, shape, gamma, beta, dGammaView, dBetaView, eps, format, mgr);
        }
        try {
            if (layout != null && blockedX != x) {
                throw new IllegalStateException("backward pass of another input than the blocked forward pass's");
            }
            if (fusedRelu && !relu.take(dy, exchange.layer)) {
                throw new IllegalStateException("the ReLU computed in the forward pass had no gradient handed back");
            }
            if (outputLayout != null) {
                trunk.check(dy, exchange.layer);
            }
            return syncedBackprop(x, layout, fusedRelu, outputLayout, dy, gamma, dGammaView, dBetaView, eps, mgr);
        } catch (RuntimeException | Error e) {
            throw exchange.fail(worker, e);
        }
    }

    private Pair<Gradient, INDArray> syncedBackprop(INDArray x, memory.format_tag layout, boolean fusedRelu,
                                                    memory.format_tag outputLayout, INDArray dy, INDArray gamma,
                                                    INDArray dGammaView, INDArray dBetaView, double eps,
                                                    LayerWorkspaceMgr mgr) {
        INDArray in = layout == null ? dense(x) : x;
        Plan plan = plan(in, eps, layout, fusedRelu, outputLayout);
        int c = plan.channels;
        float[] g = channelValues(gamma, c, 1);
        INDArray dx = mgr.createUninitialized(ArrayType.ACTIVATION_GRAD, DataType.FLOAT, in.shape(), 'c');
        // dx = gamma / std * dy with the statistics held fixed, and the slice's sums of dy and dy * xHat,
        // xHat = (x - mean) / std
        float[] sumDy = new float[c];
        float[] sumDyXHat = new float[c];
        plan.backward(in, dense(dy), dx, mean, var, g, sumDy, sumDyXHat);
        double[] local = new double[2 * c];
        for (int ch = 0; ch < c; ch++) {
            local[ch] = sumDy[ch];
            local[c + ch] = sumDyXHat[ch];
        }
        double[] total = exchange.allSum(worker, local);
        // dx = gamma / std * (dy - sum(dy) / N - xHat * sum(dy * xHat) / N), sums over the whole batch: the
        // terms through the statistics add slope * x + offset per channel.
        float[] slope = new float[c];
        float[] offset = new float[c];
        for (int ch = 0; ch < c; ch++) {
            double inv = 1 / Math.sqrt(var[ch] + eps);
            double ac = g[ch] * inv;
            double b = -ac * total[c + ch] / count * inv;
            slope[ch] = (float) b;
            offset[ch] = (float) (-b * mean[ch] - ac * total[ch] / count);
        }
        plan.correct(in, dx, slope, offset);
        if (layout != null) {
            handoff.give(dx, layout); // in the convolution's layout, as its output came
        }

        Gradient grad = new DefaultGradient();
        if (dGammaView != null) {
            HostFloats.put(sumDyXHat, dGammaView);
            HostFloats.put(sumDy, dBetaView);
            grad.setGradientFor(BatchNormalizationParamInitializer.GAMMA, dGammaView);
            grad.setGradientFor(BatchNormalizationParamInitializer.BETA, dBetaView);
        }
        return new Pair<>(grad, dx);
    }

    /** Gamma or beta as c floats; {@code absent} when the layer has none (locked gamma/beta). */
    private static float[] channelValues(INDArray p, int c, float absent) {
        float[] v = new float[c];
        if (p == null) {
            Arrays.fill(v, absent);
        } else {
            HostFloats.read(p, v);
        }
        return v;
    }

    @Override
    public INDArray getMeanCache(DataType dataType) {
        if (!WORKER.get() || mean == null) {
            return single.getMeanCache(dataType);
        }
        meanCache = HostFloats.kept(meanCache, mean.length);
        return HostFloats.put(mean, meanCache);
    }

    @Override
    public INDArray getVarCache(DataType dataType) {
        if (!WORKER.get() || var == null) {
            return single.getVarCache(dataType);
        }
        varCache = HostFloats.kept(varCache, var.length);
        return HostFloats.put(var, varCache);
    }

    @Override
    public boolean checkSupported(double eps, boolean fixedGammaBeta) {
        return true;
    }

    @Override
    public Map<String, Long> helperMemoryUse() {
        return Map.of();
    }

    @Override
    public boolean checkSupported() {
        return true;
    }

    /**
     * The synchronised pass's oneDNN primitives for one input shape: the slice's statistics (a training-mode
     * forward pass whose output is discarded), the normalisation with the whole batch's statistics, the backward
     * pass with those statistics held fixed (which also gives the slice's sums of dy and dy * xHat), and the
     * whole-batch terms of the gradient, {@code dx += slope * x + offset} per channel (a binary op with a
     * per-channel add and a sum post-op: one pass over the input's array). A plan for an input handed over by
     * a convolution ({@link #blocked}) reads the input, and writes its gradient, in the convolution's blocked
     * layout; its output stays NCHW.
     *
     * <p>The batch-norm passes run in the first of oneDNN's channel-blocked layouts ({@code nChw16c},
     * {@code nChw8c}) that has a JIT kernel on this CPU, with reorders from and to NCHW around them: on plain
     * NCHW oneDNN 2.5 runs its generic {@code ncsp} code, several times slower than a reorder and the JIT kernel
     * together (docs/performance-log.md). Plain NCHW is the fallback.
     */
    static final class Plan extends OneDnnPlan {
        private static final memory.format_tag[] LAYOUTS = {memory.format_tag.nChw16c, memory.format_tag.nChw8c};
        final int channels;
        final long count;
        final String layout;
        private final primitive statsPass, normalisePass, backwardPass, correctPass;
        private final Arg x, y, dy, dxInner, xPlain, dxPlain;
        private final FloatPointer sliceMean, sliceVar, batchMean, batchVar, gamma, beta, diffGamma, diffBeta, slope,
                offset;

        /**
         * A plan in the first blocked layout with JIT batch-norm kernels, else in plain NCHW; {@code fusedRelu}: the
         * normalisation writes relu of its output and the backward pass masks the gradient (see {@link FusedRelu}).
         */
        static Plan of(long[] shape, double eps, boolean fusedRelu) {
            return of(shape, eps, fusedRelu, null);
        }

        /** {@link #of(long[], double, boolean)}, with the output and its gradient held in {@code outputLayout}. */
        static Plan of(long[] shape, double eps, boolean fusedRelu, memory.format_tag outputLayout) {
            for (memory.format_tag tag : LAYOUTS) {
                Plan p = new Plan(shape, eps, tag, false, fusedRelu, outputLayout);
                if (p.isJit()) {
                    return p;
                }
                p.close();
            }
            return new Plan(shape, eps, memory.format_tag.nchw, false, fusedRelu, outputLayout);
        }

        /**
         * A plan whose input and input gradient are held in {@code tag} (no reorders; see {@link BlockedHandoff}),
         * or null where a pass has no JIT kernel for it.
         */
        static Plan blocked(long[] shape, double eps, memory.format_tag tag, boolean fusedRelu,
                            memory.format_tag outputLayout) {
            try (memory.desc plain = desc(shape, memory.format_tag.nchw); memory.desc blocked = desc(shape, tag)) {
                if (plain.get_size() != blocked.get_size()) {
                    return null; // channels not a multiple of the block: the arrays do not hold the layout
                }
            }
            Plan p = new Plan(shape, eps, tag, true, fusedRelu, outputLayout);
            if (p.isJit() && !p.kernels.get(3).startsWith("ref")) {
                return p;
            }
            p.close();
            return null;
        }

        private Plan(long[] shape, double eps, memory.format_tag tag, boolean inputInLayout, boolean fusedRelu,
                     memory.format_tag outputLayout) {
            channels = (int) shape[1];
            count = shape[0] * shape[2] * shape[3];
            layout = tag.name();
            memory.desc data = own(desc(shape, memory.format_tag.nchw));
            memory.desc inner = tag == memory.format_tag.nchw ? data : own(desc(shape, tag));
            memory.desc perChannel = own(desc(new long[] {channels}, memory.format_tag.a));
            // Per-channel values in the input's layout: a binary op on a blocked input with a plain NCHW per-channel
            // operand runs oneDNN's reference kernel.
            memory.desc broadcast = own(desc(new long[] {1, channels, 1, 1}, inputInLayout ? tag : memory.format_tag.nchw));
            // The input and its gradient: NCHW arrays reordered to and from the inner layout, or arrays in it.
            memory.desc outside = inputInLayout ? inner : data;
            x = new Arg(outside, inner, true, 0);
            // The output and its gradient: NCHW, or a trunk's blocked layout (see BlockedTrunk).
            memory.desc held = outputLayout == null ? data : own(desc(shape, outputLayout));
            if (held.get_size() != data.get_size()) {
                throw new IllegalArgumentException("channels " + channels + " cannot hold " + outputLayout);
            }
            y = new Arg(held, inner, false, 1);
            dy = new Arg(held, inner, true, 2);
            dxInner = new Arg(outside, inner, false, 3);
            xPlain = new Arg(outside, outside, true, 0);
            dxPlain = new Arg(outside, outside, false, 0);
            sliceMean = floats();
            sliceVar = floats();
            batchMean = floats();
            batchVar = floats();
            gamma = floats();
            beta = floats();
            diffGamma = floats();
            diffBeta = floats();
            slope = floats();
            offset = floats();

            float e = (float) eps;
            var sd = own(new batch_normalization_forward.desc(forward_training.value, inner, e,
                    normalization_flags.none.value));
            var spd = own(new batch_normalization_forward.primitive_desc(sd, ENGINE));
            statsPass = own(new batch_normalization_forward(spd));
            int withStats = normalization_flags.use_global_stats.value | normalization_flags.use_scale.value
                    | normalization_flags.use_shift.value;
            if (fusedRelu) {
                withStats |= normalization_flags.fuse_norm_relu.value;
            }
            var nd = own(new batch_normalization_forward.desc(forward_training.value, inner, e, withStats));
            var npd = own(new batch_normalization_forward.primitive_desc(nd, ENGINE));
            normalisePass = own(new batch_normalization_forward(npd));
            // The ReLU's mask, written by the normalisation and read by the backward pass: this plan's own.
            Arg mask = null;
            if (fusedRelu) {
                memory.desc wsDesc = own(npd.workspace_desc());
                mask = new Arg(wsDesc, own(aligned(wsDesc.get_size())));
            }
            var bd = own(new batch_normalization_backward.desc(prop_kind.backward.value, inner, inner, e, withStats));
            var bpd = own(new batch_normalization_backward.primitive_desc(bd, ENGINE, npd));
            backwardPass = own(new batch_normalization_backward(bpd));
            post_ops ops = own(new post_ops());
            ops.append_binary(algorithm.binary_add, broadcast);
            ops.append_sum();
            primitive_attr attr = own(new primitive_attr());
            attr.set_post_ops(ops);
            var cd = own(new binary.desc(algorithm.binary_mul, outside, broadcast, outside));
            var cpd = own(new binary.primitive_desc(cd, attr, ENGINE));
            correctPass = own(new binary(cpd));
            for (var pd : List.of(spd, npd, bpd, cpd)) {
                kernels.add(pd.impl_info_str().getString());
            }

            args(statsPass, Map.of(DNNL_ARG_SRC, x, DNNL_ARG_DST, y, DNNL_ARG_MEAN, fixed(perChannel, sliceMean),
                    DNNL_ARG_VARIANCE, fixed(perChannel, sliceVar)));
            Arg meanArg = fixed(perChannel, batchMean);
            Arg varArg = fixed(perChannel, batchVar);
            Arg gammaArg = fixed(perChannel, gamma);
            Arg betaArg = fixed(perChannel, beta);
            Map<Integer, Arg> normaliseArgs = new HashMap<>(Map.of(DNNL_ARG_SRC, x, DNNL_ARG_DST, y, DNNL_ARG_MEAN,
                    meanArg, DNNL_ARG_VARIANCE, varArg, DNNL_ARG_SCALE, gammaArg, DNNL_ARG_SHIFT, betaArg));
            Map<Integer, Arg> backwardArgs = new HashMap<>(Map.of(DNNL_ARG_SRC, x, DNNL_ARG_DIFF_DST, dy, DNNL_ARG_MEAN,
                    meanArg, DNNL_ARG_VARIANCE, varArg, DNNL_ARG_SCALE, gammaArg, DNNL_ARG_SHIFT, betaArg,
                    DNNL_ARG_DIFF_SRC, dxInner, DNNL_ARG_DIFF_SCALE, fixed(perChannel, diffGamma), DNNL_ARG_DIFF_SHIFT,
                    fixed(perChannel, diffBeta)));
            if (mask != null) {
                normaliseArgs.put(DNNL_ARG_WORKSPACE, mask);
                backwardArgs.put(DNNL_ARG_WORKSPACE, mask);
            }
            args(normalisePass, normaliseArgs);
            args(backwardPass, backwardArgs);
            args(correctPass, Map.of(DNNL_ARG_SRC_0, xPlain, DNNL_ARG_SRC_1, fixed(broadcast, slope), DNNL_ARG_DST,
                    dxPlain, DNNL_ARG_ATTR_MULTIPLE_POST_OP_BASE | DNNL_ARG_SRC_1, fixed(broadcast, offset)));
        }

        /** Whether all three batch-norm passes run JIT kernels. */
        private boolean isJit() {
            return kernels.subList(0, 3).stream().allMatch(k -> k.startsWith("bnorm_jit"));
        }

        private FloatPointer floats() {
            return own(new FloatPointer(channels));
        }

        private Arg fixed(memory.desc desc, FloatPointer values) {
            return new Arg(desc, values);
        }

        /**
         * The slice's per-channel mean and (biased) variance. Leaves {@code in} in the plan's layout in this
         * thread's scratch for {@link #normalise}, the next oneDNN call on this thread.
         */
        void sliceStatistics(INDArray in, INDArray out, float[] meanOut, float[] varOut) {
            Scratch s = scratch();
            x.in(in, s);
            y.bind(out, s);
            execute(statsPass);
            stream._wait();
            sliceMean.get(meanOut);
            sliceVar.get(varOut);
        }

        /**
         * {@code out = gamma * (in - mean) / sqrt(var + eps) + beta} per channel; {@code in} in the plan's layout
         * as {@link #sliceStatistics} left it (binding does not reorder).
         */
        void normalise(INDArray in, INDArray out, float[] m, float[] v, float[] g, float[] b) {
            Scratch s = scratch();
            statistics(m, v, g);
            beta.put(b);
            x.bind(in, s);
            y.bind(out, s);
            execute(normalisePass);
            y.out();
            stream._wait();
        }

        /** {@code grad = gamma / sqrt(var + eps) * dOut}, and the slice's per-channel sums of dOut and dOut * xHat. */
        void backward(INDArray in, INDArray dOut, INDArray grad, float[] m, float[] v, float[] g, float[] sumDy,
                      float[] sumDyXHat) {
            Scratch s = scratch();
            statistics(m, v, g);
            x.in(in, s);
            dy.in(dOut, s);
            dxInner.bind(grad, s);
            execute(backwardPass);
            dxInner.out();
            stream._wait();
            diffBeta.get(sumDy);
            diffGamma.get(sumDyXHat);
        }

        /** The whole batch's mean and variance and gamma, which the normalisation and the backward pass read. */
        private void statistics(float[] m, float[] v, float[] g) {
            batchMean.put(m);
            batchVar.put(v);
            gamma.put(g);
        }

        /** {@code grad += slope * in + offset}, per channel. */
        void correct(INDArray in, INDArray grad, float[] slopes, float[] offsets) {
            Scratch s = scratch();
            slope.put(slopes);
            offset.put(offsets);
            xPlain.bind(in, s);
            dxPlain.bind(grad, s);
            execute(correctPass);
            stream._wait();
        }
    }

    /**
     * Per-channel sums added across the workers of one layer, in worker order (so runs repeat bitwise).
     *
     * <p>No wait here is unbounded, and no failure is lost: DL4J catches an exception thrown by a layer
     * helper, logs it and carries on with its built-in code, so a worker that fails here would otherwise
     * leave the others waiting for its sums for ever. A failing worker records its failure and releases
     * every waiter; {@link DataParallel} finds the record after the step, discards the step and raises
     * the failure with the layer's name.
     */
    static final class Exchange {
        /** Longer than any step takes; reached only when a worker stopped arriving without failing here. */
        static final long WAIT_SECONDS = 120;
        private final String layer;
        final int workers;
        private volatile Phaser phaser;
        private volatile RuntimeException failure;
        private double[][][] slots;
        private int[] rounds;

        Exchange(String layer, int workers) {
            this.layer = layer;
            this.workers = workers;
            renew();
        }

        /** Fresh state for the next step, once every worker has stopped. */
        public void renew() {
            phaser = new Phaser(workers);
            failure = null;
            slots = new double[2][workers][];
            rounds = new int[workers];
        }

        /**
         * Records that {@code worker} failed in this layer's synchronised pass (the first failure of a step
         * is kept), releases every worker waiting here, and returns the exception for the caller to throw.
         */
        RuntimeException fail(int worker, Throwable cause) {
            if (cause != null && cause == failure) {
                return failure; // already recorded, by this worker's wait below
            }
            IllegalStateException e = new IllegalStateException(String.format("batch normalisation layer '%s' failed in "
                    + "training worker %d (%s); the step was discarded", layer, worker, cause), cause);
            synchronized (this) {
                if (failure == null) {
                    failure = e;
                }
            }
            abort();
            return e;
        }

        /** The failure recorded in this step, or null. */
        public RuntimeException failure() {
            return failure;
        }

        /** Stops every worker waiting here, now or later in this step, from waiting (a terminated phaser never blocks). */
        public void abort() {
            phaser.forceTermination();
        }

        double[] allSum(int worker, double[] local) {
            // Two slot sets, alternating: a worker can be one exchange ahead, never two (it would
            // have to pass a phase that waits for the others).
            double[][] set = slots[rounds[worker]++ & 1];
            set[worker] = local;
            Phaser p = phaser;
            int phase;
            try {
                phase = p.awaitAdvanceInterruptibly(p.arrive(), WAIT_SECONDS, java.util.concurrent.TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException | InterruptedException e) {
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                throw fail(worker, new IllegalStateException("waited " + (e instanceof InterruptedException ? "until"
                        + " interrupted" : "over " + WAIT_SECONDS + " s") + " for the other workers' sums", e));
            }
            if (phase < 0) {
                // Another worker failed and the step will be discarded: finish it on this slice alone.
                // Not an exception, which DL4J would count against the helper and stop calling it.
                return local;
            }
            double[] sum = new double[local.length];
            for (double[] s : set) {
                for (int i = 0; i < sum.length; i++) {
                    sum[i] += s[i];
                }
            }
            return sum;
        }
    }

    /** The synchronised helpers of a set of replicas, one exchange per batch-norm layer. */
    public static final class Group {
        private static final List<String> RUNNING_STATS = List.of(BatchNormalizationParamInitializer.GLOBAL_MEAN,
                BatchNormalizationParamInitializer.GLOBAL_VAR, BatchNormalizationParamInitializer.GLOBAL_LOG_STD);
        private final List<Exchange> exchanges = new ArrayList<>();
        private final List<SyncBatchNorm> helpers = new ArrayList<>();
        private final List<Runnable> restore = new ArrayList<>();

        /** Puts synchronised helpers into every batch-norm layer of {@code replicas} (worker k = replicas[k]). */
        public static Group install(List<ComputationGraph> replicas) {
            Group group = new Group();
            Layer[] first = replicas.get(0).getLayers();
            for (int i = 0; i < first.length; i++) {
                if (!(first[i] instanceof BatchNormalization)) {
                    continue;
                }
                Exchange exchange = new Exchange(first[i].conf().getLayer().getLayerName(), replicas.size());
                group.exchanges.add(exchange);
                for (int k = 0; k < replicas.size(); k++) {
                    BatchNormalization layer = (BatchNormalization) replicas.get(k).getLayers()[i];
                    BatchNormalizationHelper original = (BatchNormalizationHelper) HELPERS.get(layer);
                    SyncBatchNorm synced = new SyncBatchNorm(original, exchange, k);
                    synced.relu = FusedRelu.of(replicas.get(k), layer);
                    synced.trunk = BlockedTrunk.madeBy(replicas.get(k), layer);
                    HELPERS.set(layer, synced);
                    group.helpers.add(synced);
                    group.restore.add(() -> HELPERS.set(layer, original));
                }
            }
            return group;
        }

        public boolean isEmpty() {
            return exchanges.isEmpty();
        }

        /** Called by a failing worker: no other worker waits for it, now or later in this step. */
        public void abort() {
            exchanges.forEach(Exchange::abort);
        }

        /** The first failure recorded in this step by any layer's exchange, or null. */
        public RuntimeException failure() {
            for (Exchange e : exchanges) {
                if (e.failure() != null) {
                    return e.failure();
                }
            }
            return null;
        }

        /** Test seam: worker {@code worker}'s first batch-norm layer throws {@code fault} at its next synchronised pass. */
        public void injectFailure(int worker, RuntimeException fault) {
            helpers.stream().filter(h -> h.worker == worker).findFirst().orElseThrow().injected = fault;
        }

        /** Ready for the next step after an aborted one; only when no worker runs. */
        public void renew() {
            exchanges.forEach(Exchange::renew);
        }

        /** Gives every layer back the helper DL4J chose, and frees the oneDNN plans. */
        public void uninstall() {
            restore.forEach(Runnable::run);
            helpers.forEach(h -> h.plans.clear());
        }

        /**
         * Each worker's running-statistics "gradient" (DL4J updates the running mean and variance as
         * {@code param -= (param - batchStat) * (1 - decay)}) is the same whole-batch value; zero it in
         * replica {@code r} so that the sum over workers counts it once.
         */
        public static void dropRunningStatGradients(ComputationGraph r) {
            Map<String, INDArray> grads = r.gradient().gradientForVariable();
            for (Layer l : r.getLayers()) {
                if (l instanceof BatchNormalization) {
                    for (String p : RUNNING_STATS) {
                        INDArray g = grads.get(l.conf().getLayer().getLayerName() + "_" + p);
                        if (g != null) {
                            g.assign(0);
                        }
                    }
                }
            }
        }
    }
}
