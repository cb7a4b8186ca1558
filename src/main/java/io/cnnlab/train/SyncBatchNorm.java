package io.cnnlab.train;

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
import org.nd4j.linalg.api.ops.impl.reduce.floating.SquaredNorm;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.AddOp;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.MulOp;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.factory.Nd4j;

import java.lang.reflect.Field;
import java.util.ArrayList;
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
 * <p>DL4J has no public hook to replace a layer's helper, so {@link Group#install} sets the
 * package-private {@code helper} field of DL4J's BatchNormalization layer by reflection.
 */
final class SyncBatchNorm implements BatchNormalizationHelper {
    private static final ThreadLocal<Boolean> WORKER = ThreadLocal.withInitial(() -> false);
    private static final Field HELPER_FIELD;

    static {
        try {
            HELPER_FIELD = BatchNormalization.class.getDeclaredField("helper");
            HELPER_FIELD.setAccessible(true);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError("DL4J's BatchNormalization layer has no 'helper' field: " + e);
        }
    }

    private final BatchNormalizationHelper single;
    private final Exchange exchange;
    private final int worker;
    private INDArray mean;
    private INDArray var;
    private long count;

    private SyncBatchNorm(BatchNormalizationHelper single, Exchange exchange, int worker) {
        this.single = single;
        this.exchange = exchange;
        this.worker = worker;
    }

    /** Marks the calling thread as one of a split step's workers (for the thread's lifetime). */
    static void markWorkerThread() {
        WORKER.set(true);
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
        x = contiguous(x);
        int c = (int) x.size(1);
        // One pass: per-channel sum and sum of squares of this slice, then of the batch.
        INDArray rows = x.reshape('c', x.size(0) * c, x.size(2) * x.size(3));
        double[] sums = rows.sum(1).reshape(x.size(0), c).sum(0).toDoubleVector();
        double[] squares = Nd4j.exec(new SquaredNorm(rows, false, 1)).reshape(x.size(0), c).sum(0).toDoubleVector();
        double[] local = new double[2 * c + 1];
        System.arraycopy(sums, 0, local, 0, c);
        System.arraycopy(squares, 0, local, c, c);
        local[2 * c] = rows.length() / c;
        double[] total = exchange.allSum(worker, local);
        count = (long) total[2 * c];
        double[] m = new double[c];
        double[] v = new double[c];
        for (int i = 0; i < c; i++) {
            m[i] = total[i] / count;
            v[i] = Math.max(0, total[c + i] / count - m[i] * m[i]);
        }
        if (mean == null || mean.length() != c) {
            try (var ws = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
                mean = Nd4j.create(DataType.FLOAT, c);
                var = Nd4j.create(DataType.FLOAT, c);
            }
        }
        for (int i = 0; i < c; i++) {
            mean.putScalar(i, m[i]);
            var.putScalar(i, v[i]);
        }
        // out = x * a + b per channel, a = gamma / std, b = beta - mean * a
        double[] a = new double[c];
        double[] b = new double[c];
        double[] g = gamma == null ? null : gamma.toDoubleVector();
        double[] be = beta == null ? null : beta.toDoubleVector();
        for (int i = 0; i < c; i++) {
            a[i] = (g == null ? 1 : g[i]) / Math.sqrt(v[i] + eps);
            b[i] = (be == null ? 0 : be[i]) - m[i] * a[i];
        }
        INDArray out = mgr.createUninitialized(ArrayType.ACTIVATIONS, x.dataType(), x.shape());
        Nd4j.exec(new MulOp(x, vector(a), out));
        Nd4j.exec(new AddOp(out, vector(b), out));
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
        x = contiguous(x);
        dy = contiguous(dy);
        int c = (int) x.size(1);
        double[] m = mean.toDoubleVector();
        double[] v = var.toDoubleVector();
        double[] g = gamma == null ? null : gamma.toDoubleVector();
        double[] inv = new double[c];
        double[] shift = new double[c];
        for (int i = 0; i < c; i++) {
            inv[i] = 1 / Math.sqrt(v[i] + eps);
            shift[i] = -m[i] * inv[i];
        }
        // xHat = (x - mean) / std, then the slice's sums of dy and dy * xHat per channel
        INDArray xHat = mgr.createUninitialized(ArrayType.BP_WORKING_MEM, x.dataType(), x.shape());
        Nd4j.exec(new MulOp(x, vector(inv), xHat));
        Nd4j.exec(new AddOp(xHat, vector(shift), xHat));
        long rowsN = x.size(0) * c;
        long hw = x.size(2) * x.size(3);
        INDArray dBeta = dy.reshape('c', rowsN, hw).sum(1).reshape(x.size(0), c).sum(0);
        INDArray prod = mgr.createUninitialized(ArrayType.BP_WORKING_MEM, x.dataType(), x.shape());
        Nd4j.exec(new MulOp(dy, xHat, prod));
        INDArray dGamma = prod.reshape('c', rowsN, hw).sum(1).reshape(x.size(0), c).sum(0);
        double[] local = new double[2 * c];
        System.arraycopy(dBeta.toDoubleVector(), 0, local, 0, c);
        System.arraycopy(dGamma.toDoubleVector(), 0, local, c, c);
        double[] total = exchange.allSum(worker, local);
        // dx = gamma / std * (dy - sum(dy) / N - xHat * sum(dy * xHat) / N), sums over the whole batch
        double[] a = new double[c];
        double[] b = new double[c];
        double[] k = new double[c];
        for (int i = 0; i < c; i++) {
            a[i] = (g == null ? 1 : g[i]) * inv[i];
            b[i] = -a[i] * total[c + i] / count;
            k[i] = -a[i] * total[i] / count;
        }
        INDArray dx = mgr.createUninitialized(ArrayType.ACTIVATION_GRAD, x.dataType(), x.shape());
        Nd4j.exec(new MulOp(dy, vector(a), dx));
        Nd4j.exec(new MulOp(xHat, vector(b), xHat));
        dx.addi(xHat);
        Nd4j.exec(new AddOp(dx, vector(k), dx));

        Gradient grad = new DefaultGradient();
        if (dGammaView != null) {
            dGammaView.assign(dGamma.reshape(dGammaView.shape()));
            dBetaView.assign(dBeta.reshape(dBetaView.shape()));
            grad.setGradientFor(BatchNormalizationParamInitializer.GAMMA, dGammaView);
            grad.setGradientFor(BatchNormalizationParamInitializer.BETA, dBetaView);
        }
        return new Pair<>(grad, dx);
    }

    private static INDArray contiguous(INDArray a) {
        return Shape.hasDefaultStridesForShape(a) ? a : a.dup('c');
    }

    /**
     * Per-channel values shaped [1, C, 1, 1], for ND4J's shape-broadcasting ops, which take its fast rank-4
     * path: with the legacy BroadcastMulOp along dimension 1 a batchnorm epoch took 23.5 s instead of 6.8 s.
     */
    private static INDArray vector(double[] values) {
        return Nd4j.createFromArray(values).castTo(DataType.FLOAT).reshape(1, values.length, 1, 1);
    }

    @Override
    public INDArray getMeanCache(DataType dataType) {
        return WORKER.get() && mean != null ? mean : single.getMeanCache(dataType);
    }

    @Override
    public INDArray getVarCache(DataType dataType) {
        return WORKER.get() && var != null ? var : single.getVarCache(dataType);
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

    /** Per-channel sums added across the workers of one layer, in worker order (so runs repeat bitwise). */
    static final class Exchange {
        private final int workers;
        private volatile Phaser phaser;
        private double[][][] slots;
        private int[] rounds;

        Exchange(int workers) {
            this.workers = workers;
            renew();
        }

        /** Fresh state for the next step, once every worker has stopped. */
        void renew() {
            phaser = new Phaser(workers);
            slots = new double[2][workers][];
            rounds = new int[workers];
        }

        /** Stops every worker waiting here, now or later in this step, from waiting (a terminated phaser never blocks). */
        void abort() {
            phaser.forceTermination();
        }

        double[] allSum(int worker, double[] local) {
            // Two slot sets, alternating: a worker can be one exchange ahead, never two (it would
            // have to pass a phase that waits for the others).
            double[][] set = slots[rounds[worker]++ & 1];
            set[worker] = local;
            if (phaser.arriveAndAwaitAdvance() < 0) {
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
    static final class Group {
        private static final List<String> RUNNING_STATS = List.of(BatchNormalizationParamInitializer.GLOBAL_MEAN,
                BatchNormalizationParamInitializer.GLOBAL_VAR, BatchNormalizationParamInitializer.GLOBAL_LOG_STD);
        private final List<Exchange> exchanges = new ArrayList<>();
        private final List<Runnable> restore = new ArrayList<>();

        /** Puts synchronised helpers into every batch-norm layer of {@code replicas} (worker k = replicas[k]). */
        static Group install(List<ComputationGraph> replicas) {
            Group group = new Group();
            Layer[] first = replicas.get(0).getLayers();
            for (int i = 0; i < first.length; i++) {
                if (!(first[i] instanceof BatchNormalization)) {
                    continue;
                }
                Exchange exchange = new Exchange(replicas.size());
                group.exchanges.add(exchange);
                for (int k = 0; k < replicas.size(); k++) {
                    BatchNormalization layer = (BatchNormalization) replicas.get(k).getLayers()[i];
                    BatchNormalizationHelper original = (BatchNormalizationHelper) get(layer);
                    set(layer, new SyncBatchNorm(original, exchange, k));
                    group.restore.add(() -> set(layer, original));
                }
            }
            return group;
        }

        boolean isEmpty() {
            return exchanges.isEmpty();
        }

        /** Called by a failing worker: no other worker waits for it, now or later in this step. */
        void abort() {
            exchanges.forEach(Exchange::abort);
        }

        /** Ready for the next step after an aborted one; only when no worker runs. */
        void renew() {
            exchanges.forEach(Exchange::renew);
        }

        /** Gives every layer back the helper DL4J chose. */
        void uninstall() {
            restore.forEach(Runnable::run);
        }

        /**
         * Each worker's running-statistics "gradient" (DL4J updates the running mean and variance as
         * {@code param -= (param - batchStat) * (1 - decay)}) is the same whole-batch value; zero it in
         * replica {@code r} so that the sum over workers counts it once.
         */
        static void dropRunningStatGradients(ComputationGraph r) {
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

        private static Object get(BatchNormalization layer) {
            try {
                return HELPER_FIELD.get(layer);
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
            }
        }

        private static void set(BatchNormalization layer, Object helper) {
            try {
                HELPER_FIELD.set(layer, helper);
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
