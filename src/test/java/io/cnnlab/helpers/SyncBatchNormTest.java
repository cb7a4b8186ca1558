package io.cnnlab.helpers;

import org.junit.jupiter.api.Test;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** The exchange through which {@link SyncBatchNorm}'s workers sum their batch statistics. (DataParallelTest runs it in steps.) */
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
}
