package io.cnnlab.helpers;

import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.Test;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link SyncBatchNorm}: its passes against batch norm computed in double precision, and the exchange through
 * which its workers share their statistics. (DataParallelTest runs it in training steps.)
 */
class SyncBatchNormTest {
    @Test
    void aWorkerThatFailsReleasesTheOthersWaitingAtABatchNormExchange() throws Exception {
        SyncBatchNorm.Exchange exchange = new SyncBatchNorm.Exchange("bn", 2);
        ExecutorService other = Executors.newSingleThreadExecutor();
        try {
            // Worker 0 waits for worker 1, which fails before its exchange and aborts the step.
            Future<double[]> waiting = other.submit(() -> exchange.allSum(0, new double[] {1, 2}));
            Thread.sleep(200);
            assertFalse(waiting.isDone(), "worker 0 waits for worker 1");
            exchange.abort();
            assertArrayEquals(new double[] {1, 2}, waiting.get(10, TimeUnit.SECONDS), 0,
                    "released, it finishes the discarded step on its own sums");
            assertArrayEquals(new double[] {5, 5}, exchange.allSum(1, new double[] {5, 5}), 0,
                    "a worker arriving after the abort does not wait either");

            exchange.renew();
            Future<double[]> next = other.submit(() -> exchange.allSum(0, new double[] {1, 2}));
            assertArrayEquals(new double[] {4, 6}, exchange.allSum(1, new double[] {3, 4}), 0, "the next step sums again");
            assertArrayEquals(new double[] {4, 6}, next.get(10, TimeUnit.SECONDS), 0);
        } finally {
            other.shutdownNow();
        }
    }

    @Test
    void twoUnevenSlicesNormaliseAndBackPropagateAsTheWholeBatchInDoublePrecision() throws Exception {
        // 20 channels fill no whole block of the blocked layouts; channel means far from 0 and unequal spreads.
        int n = 6, c = 20, h = 5, w = 7, hw = h * w;
        double eps = 1e-5;
        Random random = new Random(11);
        float[] xs = new float[n * c * hw];
        float[] dys = new float[xs.length];
        for (int i = 0; i < xs.length; i++) {
            int ch = i / hw % c;
            xs[i] = (float) (4 * ch - 30 + (0.2 + ch % 4) * random.nextGaussian());
            dys[i] = (float) random.nextGaussian();
        }
        float[] g = new float[c];
        float[] b = new float[c];
        for (int ch = 0; ch < c; ch++) {
            g[ch] = 0.5f + random.nextFloat();
            b[ch] = random.nextFloat() - 0.5f;
        }
        INDArray x = Nd4j.createFromArray(xs).reshape(n, c, h, w);
        INDArray dy = Nd4j.createFromArray(dys).reshape(n, c, h, w);
        INDArray gamma = Nd4j.createFromArray(g).reshape(1, c);
        INDArray beta = Nd4j.createFromArray(b).reshape(1, c);

        SyncBatchNorm.Exchange exchange = new SyncBatchNorm.Exchange("bn", 2);
        int[][] slices = {{0, 2}, {2, n}};
        ExecutorService workers = Executors.newFixedThreadPool(2);
        List<Future<INDArray[]>> results = new ArrayList<>();
        try {
            for (int k = 0; k < 2; k++) {
                int worker = k;
                results.add(workers.submit(() -> {
                    SyncBatchNorm.markWorkerThread(true);
                    try {
                        SyncBatchNorm helper = new SyncBatchNorm(null, exchange, worker);
                        INDArray xk = x.get(NDArrayIndex.interval(slices[worker][0], slices[worker][1])).dup();
                        INDArray dyk = dy.get(NDArrayIndex.interval(slices[worker][0], slices[worker][1])).dup();
                        LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
                        INDArray out = helper.preOutput(xk, true, null, gamma, beta, null, null, 0.9, eps,
                                CNN2DFormat.NCHW, mgr);
                        INDArray dGamma = Nd4j.zeros(DataType.FLOAT, 1, c);
                        INDArray dBeta = Nd4j.zeros(DataType.FLOAT, 1, c);
                        Pair<Gradient, INDArray> back = helper.backpropGradient(xk, dyk, null, gamma, beta, dGamma,
                                dBeta, eps, CNN2DFormat.NCHW, mgr);
                        return new INDArray[] {out, back.getSecond(), dGamma, dBeta,
                            helper.getMeanCache(DataType.FLOAT).dup(), helper.getVarCache(DataType.FLOAT).dup()};
                    } finally {
                        SyncBatchNorm.markWorkerThread(false);
                    }
                }));
            }
            INDArray[] first = results.get(0).get(60, TimeUnit.SECONDS);
            INDArray[] second = results.get(1).get(60, TimeUnit.SECONDS);

            // The reference: whole-batch batch norm in double precision.
            long count = (long) n * hw;
            double[] mean = new double[c];
            double[] var = new double[c];
            for (int i = 0; i < xs.length; i++) {
                mean[i / hw % c] += xs[i] / (double) count;
            }
            for (int i = 0; i < xs.length; i++) {
                double d = xs[i] - mean[i / hw % c];
                var[i / hw % c] += d * d / count;
            }
            double[] sumDy = new double[c];
            double[] sumDyXHat = new double[c];
            for (int i = 0; i < xs.length; i++) {
                int ch = i / hw % c;
                sumDy[ch] += dys[i];
                sumDyXHat[ch] += dys[i] * (xs[i] - mean[ch]) / Math.sqrt(var[ch] + eps);
            }
            float[] y = concat(first[0], second[0]);
            float[] dx = concat(first[1], second[1]);
            double worstY = 0;
            double worstDx = 0;
            double largestDx = 0;
            for (int i = 0; i < xs.length; i++) {
                int ch = i / hw % c;
                double inv = 1 / Math.sqrt(var[ch] + eps);
                double xHat = (xs[i] - mean[ch]) * inv;
                worstY = Math.max(worstY, Math.abs(y[i] - (g[ch] * xHat + b[ch])));
                double expected = g[ch] * inv * (dys[i] - sumDy[ch] / count - xHat * sumDyXHat[ch] / count);
                worstDx = Math.max(worstDx, Math.abs(dx[i] - expected));
                largestDx = Math.max(largestDx, Math.abs(expected));
            }
            assertTrue(worstY < 1e-4, "output differs by " + worstY);
            // Float rounding: the whole-batch terms are slope * x + offset with channel means up to 46.
            assertTrue(worstDx < 1e-5 * largestDx, "gradient differs by " + worstDx + " of " + largestDx);
            for (int ch = 0; ch < c; ch++) {
                for (INDArray[] r : List.of(first, second)) {
                    assertEquals(mean[ch], r[4].getDouble(ch), 1e-5 * Math.max(1, Math.abs(mean[ch])), "mean " + ch);
                    assertEquals(var[ch], r[5].getDouble(ch), 1e-4 * var[ch], "variance " + ch);
                }
                // Each worker's parameter gradient is its slice's share; DataParallel adds them.
                // Sums of 210 float products, xHat from means up to 170 standard deviations away from 0.
                assertEquals(sumDyXHat[ch], first[2].getDouble(ch) + second[2].getDouble(ch),
                        1e-3 * Math.max(1, Math.abs(sumDyXHat[ch])), "dGamma " + ch);
                assertEquals(sumDy[ch], first[3].getDouble(ch) + second[3].getDouble(ch), 1e-4, "dBeta " + ch);
            }
        } finally {
            workers.shutdownNow();
        }
    }

    @Test
    void theBatchNormPassesRunJitKernelsInABlockedLayout() {
        try (SyncBatchNorm.Plan plan = SyncBatchNorm.Plan.of(new long[] {32, 32, 16, 16}, 1e-5, false)) {
            assertTrue(plan.layout.equals("nChw16c") || plan.layout.equals("nChw8c"), plan.layout);
            assertTrue(plan.kernels.subList(0, 3).stream().allMatch(k -> k.startsWith("bnorm_jit")), plan.kernels.toString());
        }
    }

    private static float[] concat(INDArray a, INDArray b) {
        float[] all = new float[(int) (a.length() + b.length())];
        System.arraycopy(a.dup('c').data().asFloat(), 0, all, 0, (int) a.length());
        System.arraycopy(b.dup('c').data().asFloat(), 0, all, (int) a.length(), (int) b.length());
        return all;
    }
}
