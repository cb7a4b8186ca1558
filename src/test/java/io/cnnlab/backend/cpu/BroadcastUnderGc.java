package io.cnnlab.backend.cpu;

import io.cnnlab.backend.Backend;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The reproduction of the crash {@link FencedOpExecutioner} prevents, run by hand (it is a race, so no unit
 * test can be sure to hit it): a dense layer's bias add, {@code addiRowVector}, repeated while another thread
 * collects garbage without pause. With ND4J's own executioner the JVM dies with SIGSEGV in
 * {@code sd::DataBuffer::primary()} within some tens of thousands of ops; with cnnlab's it finishes.
 * Arguments: ops to run (default 200000) and "stock" to keep ND4J's executioner. Commands:
 * docs/performance-log.md.
 */
public final class BroadcastUnderGc {
    private BroadcastUnderGc() {
    }

    public static void main(String[] args) {
        int ops = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        if (args.length > 1 && args[1].equals("stock")) {
            System.setProperty(Backend.OP_EXECUTIONER_PROPERTY, "org.nd4j.linalg.cpu.nativecpu.ops.NativeOpExecutioner");
        }
        Backend.configure();
        System.out.println("executioner " + Nd4j.getExecutioner().getClass().getName());
        INDArray x = Nd4j.rand(16, 1024);
        INDArray bias = Nd4j.rand(1, 1024);
        for (int i = 0; i < 30_000; i++) { // until the JIT has compiled the op path
            x.addiRowVector(bias);
        }
        Thread collector = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                System.gc();
            }
        }, "collector");
        collector.setDaemon(true);
        collector.start();
        long t0 = System.nanoTime();
        for (int i = 1; i <= ops; i++) {
            x.addiRowVector(bias);
            if (i % 20_000 == 0) {
                System.out.printf("%d ops under collection, %.0f s%n", i, (System.nanoTime() - t0) / 1e9);
            }
        }
        System.out.println("done");
    }
}
