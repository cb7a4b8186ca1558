package io.cnnlab.backend.cpu;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.BroadcastOp;
import org.nd4j.linalg.api.ops.CustomOp;
import org.nd4j.linalg.api.ops.IndexAccumulation;
import org.nd4j.linalg.api.ops.Op;
import org.nd4j.linalg.api.ops.OpContext;
import org.nd4j.linalg.api.ops.RandomOp;
import org.nd4j.linalg.api.ops.ReduceOp;
import org.nd4j.linalg.api.ops.ScalarOp;
import org.nd4j.linalg.api.ops.impl.summarystats.Variance;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.cpu.nativecpu.ops.NativeOpExecutioner;

import java.lang.ref.Reference;
import java.util.function.Supplier;

/**
 * ND4J's CPU executioner with every op, and the arrays it holds, kept reachable until its native call
 * has returned.
 *
 * <p>Why: ND4J M2.1's {@link NativeOpExecutioner} passes the native side only the {@code OpaqueDataBuffer}
 * handles of an op's arrays, and after the call uses nothing but the result. In JIT-compiled code the op
 * and the arrays only it holds (a broadcast's or a reduction's dimension array, made anew for each op) are
 * then unreachable while the native code runs: a GC at that moment lets ND4J's deallocator delete the
 * buffer under the running op, and the JVM dies with SIGSEGV in {@code sd::DataBuffer::primary()}. Every
 * dense layer's bias add in training is such a broadcast. It is rare with few GCs and certain with many
 * (docs/performance-log.md has the reproduction). {@link Reference#reachabilityFence} after each call
 * closes the window; it costs nothing at run time. The arithmetic is ND4J's own, unchanged.
 *
 * <p>Installed through ND4J's own {@code opexec} setting by {@code io.cnnlab.backend.Backend#configure}.
 * Compiled in the CPU build only.
 */
public class FencedOpExecutioner extends NativeOpExecutioner {

    /** The result of {@code call}, with {@code op} and {@code context} reachable until it has returned. */
    private static <T> T fenced(Supplier<T> call, Object op, Object context) {
        try {
            return call.get();
        } finally {
            Reference.reachabilityFence(op);
            Reference.reachabilityFence(context);
        }
    }

    @Override
    public INDArray exec(Op op) {
        return fenced(() -> super.exec(op), op, null);
    }

    @Override
    public INDArray exec(Op op, OpContext oc) {
        return fenced(() -> super.exec(op, oc), op, oc);
    }

    @Override
    public INDArray exec(IndexAccumulation op) {
        return fenced(() -> super.exec(op), op, null);
    }

    @Override
    public INDArray exec(IndexAccumulation op, OpContext oc) {
        return fenced(() -> super.exec(op, oc), op, oc);
    }

    @Override
    public INDArray exec(Variance op) {
        return fenced(() -> super.exec(op), op, null);
    }

    @Override
    public INDArray exec(ReduceOp op) {
        return fenced(() -> super.exec(op), op, null);
    }

    @Override
    public INDArray exec(ReduceOp op, OpContext oc) {
        return fenced(() -> super.exec(op, oc), op, oc);
    }

    @Override
    public INDArray exec(ScalarOp op) {
        return fenced(() -> super.exec(op), op, null);
    }

    @Override
    public INDArray exec(ScalarOp op, OpContext oc) {
        return fenced(() -> super.exec(op, oc), op, oc);
    }

    @Override
    public INDArray exec(BroadcastOp op) {
        return fenced(() -> super.exec(op), op, null);
    }

    @Override
    public INDArray exec(BroadcastOp op, OpContext oc) {
        return fenced(() -> super.exec(op, oc), op, oc);
    }

    @Override
    public INDArray exec(RandomOp op) {
        return fenced(() -> super.exec(op), op, null);
    }

    @Override
    public INDArray exec(RandomOp op, Random rng) {
        return fenced(() -> super.exec(op, rng), op, rng);
    }

    @Override
    public INDArray exec(RandomOp op, OpContext oc, Random rng) {
        return fenced(() -> super.exec(op, oc, rng), op, oc);
    }

    @Override
    public INDArray[] exec(CustomOp op) {
        return fenced(() -> super.exec(op), op, null);
    }

    @Override
    public INDArray[] exec(CustomOp op, OpContext oc) {
        return fenced(() -> super.exec(op, oc), op, oc);
    }
}
