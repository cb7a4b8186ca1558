package io.cnnlab.helpers;

import io.cnnlab.parallel.DataParallel;
import io.cnnlab.util.HostFloats;
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
import java.util.List;
import java.util.Map;
import java.util.concurrent.Phaser;

/**
 * Synchronised batch normalisation for {@link DataParallel}: while a batch is split across worker
 * threads, every worker's batch-norm layer normalises with the mean and variance of the whole batch,
 * and back-propagates through them, by exchanging per-channel sums with the other workers (one
 * barrier forward, one backward). The step is then the whole-batch step, as PyTorch's SyncBatchNorm
 * makes it across processes. Outside a split step (evaluation, or a thread that is not a worker)
 * each call goes to the helper DL4J chose (oneDNN) or to DL4J's built-in code.
 *
 * <p>The per-channel arithmetic runs as Java loops over host copies ({@link HostFloats}), because ND4J
 * M2.1's CPU reductions and broadcast ops call a function object per element (docs/performance-log.md).
 *
 * <p>{@link Group#install} puts it into the layers through {@link LayerHelpers}.
 */
public final class SyncBatchNorm implements BatchNormalizationHelper {
    private static final ThreadLocal<Boolean> WORKER = ThreadLocal.withInitial(() -> false);
    private static final LayerHelpers HELPERS = new LayerHelpers(BatchNormalization.class);

    private final BatchNormalizationHelper single;
    private final Exchange exchange;
    private final int worker;
    private volatile RuntimeException injected;
    private float[] mean;
    private float[] var;
    private INDArray meanCache;
    private INDArray varCache;
    private long count;

    private SyncBatchNorm(BatchNormalizationHelper single, Exchange exchange, int worker) {
        this.single = single;
        this.exchange = exchange;
        this.worker = worker;
    }

    /** Marks the calling thread as one of a split step's workers, or no longer one. */
    public static void markWorkerThread(boolean worker) {
        WORKER.set(worker);
    }

    private boolean synced(boolean training, INDArray x, CNN2DFormat format) {
        return training && WORKER.get() && x.rank() == 4 && format == CNN2DFormat.NCHW && x.dataType() == DataType.FLOAT;
    }

    @Override
    public INDArray preOutput(INDArray x, boolean training, long[] shape, INDArray gamma, INDArray beta, INDArray globalMean,
                              INDArray globalVar, double decay, double eps, CNN2DFormat format, LayerWorkspaceMgr mgr) {
        if (!synced(training, x, format)) {
            return single == null ? null
                    : single.preOutput(x, training, shape, gamma, beta, globalMean, globalVar, decay, eps, format, mgr);
        }
        try {
            return syncedPreOutput(x, gamma, beta, eps, mgr);
        } catch (RuntimeException | Error e) {
            throw exchange.fail(worker, e);
        }
    }

    private INDArray syncedPreOutput(INDArray x, INDArray gamma, INDArray beta, double eps, LayerWorkspaceMgr mgr) {
        RuntimeException fault = injected;
        if (fault != null) {
            injected = null;
            throw fault;
        }
        int n = (int) x.size(0);
        int c = (int) x.size(1);
        int hw = (int) (x.size(2) * x.size(3));
        float[] xs = HostFloats.scratch(0, x.length());
        HostFloats.read(x, xs);
        // This slice's per-channel sum and sum of squares, then the whole batch's.
        double[] local = new double[2 * c + 1];
        forEachRow(n, c, hw, (from, ch) -> productSums(xs, xs, 0, from, hw, local, ch, c + ch));
        local[2 * c] = (double) n * hw;
        double[] total = exchange.allSum(worker, local);
        count = (long) total[2 * c];
        mean = new float[c];
        var = new float[c];
        float[] g = channelValues(gamma, c, 1);
        float[] be = channelValues(beta, c, 0);
        float[] a = new float[c];
        float[] b = new float[c];
        for (int ch = 0; ch < c; ch++) {
            double m = total[ch] / count;
            double v = Math.max(0, total[c + ch] / count - m * m);
            mean[ch] = (float) m;
            var[ch] = (float) v;
            // out = x * a + b, a = gamma / std, b = beta - mean * a
            double ac = g[ch] / Math.sqrt(v + eps);
            a[ch] = (float) ac;
            b[ch] = (float) (be[ch] - m * ac);
        }
        forEachRow(n, c, hw, (from, ch) -> {
            float ac = a[ch];
            float bc = b[ch];
            for (int j = from; j < from + hw; j++) {
                xs[j] = xs[j] * ac + bc;
            }
        });
        INDArray out = mgr.createUninitialized(ArrayType.ACTIVATIONS, x.dataType(), x.shape());
        HostFloats.write(xs, out);
        return out;
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray x, INDArray dy, long[] shape, INDArray gamma, INDArray beta,
                                                     INDArray dGammaView, INDArray dBetaView, double eps,
                                                     CNN2DFormat format, LayerWorkspaceMgr mgr) {
        if (!synced(true, x, format) || mean == null) {
            return single == null ? null
                    : single.backpropGradient(x, dy, shape, gamma, beta, dGammaView, dBetaView, eps, format, mgr);
        }
        try {
            return syncedBackprop(x, dy, gamma, dGammaView, dBetaView, eps, mgr);
        } catch (RuntimeException | Error e) {
            throw exchange.fail(worker, e);
        }
    }

    private Pair<Gradient, INDArray> syncedBackprop(INDArray x, INDArray dy, INDArray gamma, INDArray dGammaView,
                                                    INDArray dBetaView, double eps, LayerWorkspaceMgr mgr) {
        int n = (int) x.size(0);
        int c = (int) x.size(1);
        int hw = (int) (x.size(2) * x.size(3));
        float[] xs = HostFloats.scratch(0, x.length());
        float[] ds = HostFloats.scratch(1, x.length());
        HostFloats.read(x, xs);
        HostFloats.read(dy, ds);
        double[] inv = new double[c];
        for (int ch = 0; ch < c; ch++) {
            inv[ch] = 1 / Math.sqrt(var[ch] + eps);
        }
        // The slice's per-channel sums of dy and dy * xHat, xHat = (x - mean) / std
        double[] local = new double[2 * c];
        forEachRow(n, c, hw, (from, ch) -> productSums(ds, xs, mean[ch], from, hw, local, ch, c + ch));
        for (int ch = 0; ch < c; ch++) {
            local[c + ch] *= inv[ch];
        }
        double[] total = exchange.allSum(worker, local);
        // dx = gamma / std * (dy - sum(dy) / N - xHat * sum(dy * xHat) / N), sums over the whole batch,
        // as dx = a * dy + bx * x + k per channel
        float[] g = channelValues(gamma, c, 1);
        float[] a = new float[c];
        float[] bx = new float[c];
        float[] k = new float[c];
        for (int ch = 0; ch < c; ch++) {
            double ac = g[ch] * inv[ch];
            double b = -ac * total[c + ch] / count * inv[ch];
            a[ch] = (float) ac;
            bx[ch] = (float) b;
            k[ch] = (float) (-b * mean[ch] - ac * total[ch] / count);
        }
        forEachRow(n, c, hw, (from, ch) -> {
            float ac = a[ch];
            float bc = bx[ch];
            float kc = k[ch];
            for (int j = from; j < from + hw; j++) {
                ds[j] = ds[j] * ac + xs[j] * bc + kc;
            }
        });
        INDArray dx = mgr.createUninitialized(ArrayType.ACTIVATION_GRAD, x.dataType(), x.shape());
        HostFloats.write(ds, dx);

        Gradient grad = new DefaultGradient();
        if (dGammaView != null) {
            float[] dGamma = new float[c];
            float[] dBeta = new float[c];
            for (int ch = 0; ch < c; ch++) {
                dBeta[ch] = (float) local[ch];
                dGamma[ch] = (float) local[c + ch];
            }
            HostFloats.put(dGamma, dGammaView);
            HostFloats.put(dBeta, dBetaView);
            grad.setGradientFor(BatchNormalizationParamInitializer.GAMMA, dGammaView);
            grad.setGradientFor(BatchNormalizationParamInitializer.BETA, dBetaView);
        }
        return new Pair<>(grad, dx);
    }

    /**
     * Adds sum(a) to {@code out[sumAt]} and sum(a * (b - shift)) to {@code out[productAt]} over [from, from + len).
     * Four independent accumulator chains, so that the additions overlap instead of waiting on each other.
     */
    private static void productSums(float[] a, float[] b, float shift, int from, int len, double[] out, int sumAt,
                                    int productAt) {
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        double p0 = 0, p1 = 0, p2 = 0, p3 = 0;
        int j = from;
        for (int end = from + len - 3; j < end; j += 4) {
            s0 += a[j];
            s1 += a[j + 1];
            s2 += a[j + 2];
            s3 += a[j + 3];
            p0 += a[j] * (double) (b[j] - shift);
            p1 += a[j + 1] * (double) (b[j + 1] - shift);
            p2 += a[j + 2] * (double) (b[j + 2] - shift);
            p3 += a[j + 3] * (double) (b[j + 3] - shift);
        }
        for (; j < from + len; j++) {
            s0 += a[j];
            p0 += a[j] * (double) (b[j] - shift);
        }
        out[sumAt] += (s0 + s1) + (s2 + s3);
        out[productAt] += (p0 + p1) + (p2 + p3);
    }

    private interface RowKernel {
        void apply(int from, int channel);
    }

    /** Calls {@code kernel} for each (example, channel) row of hw contiguous values of an NCHW array. */
    private static void forEachRow(int n, int c, int hw, RowKernel kernel) {
        for (int i = 0; i < n; i++) {
            for (int ch = 0; ch < c; ch++) {
                kernel.apply((i * c + ch) * hw, ch);
            }
        }
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
        private final int workers;
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

        /** Gives every layer back the helper DL4J chose. */
        public void uninstall() {
            restore.forEach(Runnable::run);
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
