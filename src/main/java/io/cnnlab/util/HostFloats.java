package io.cnnlab.util;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.concurrency.AffinityManager;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Arrays;

/**
 * Copies between float32 INDArrays in host memory and Java arrays, and the float arrays that per-step code
 * keeps between steps.
 *
 * <p>Why: for small per-channel work (batch norm's gamma, beta and their gradients) ND4J M2.1 runs kernels
 * that call a {@code std::function} per element ({@code parallel_for} lambdas, {@code reduceExec21},
 * {@code applyPairwiseLambda}), and an {@code assign} from a new array holds native memory that only a GC
 * frees. A bulk copy to or from a Java array does neither.
 */
public final class HostFloats {
    private HostFloats() {
    }

    /** True if {@code a} is float32 and its elements lie contiguously, in C order, which {@link #read} and {@link #write} need. */
    public static boolean usable(INDArray a) {
        if (a.dataType() != DataType.FLOAT || a.length() > Integer.MAX_VALUE) {
            return false;
        }
        // Size-1 dimensions may carry any stride (ND4J gives row vectors their own), so skip them.
        long[] shape = a.shape();
        long[] stride = a.stride();
        long expected = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            if (shape[d] != 1 && stride[d] != expected) {
                return false;
            }
            expected *= shape[d];
        }
        return true;
    }

    /**
     * {@code current} if it has {@code shape}, else a new float array of that shape made outside DL4J's
     * workspaces: for arrays that per-step code keeps from step to step, where an array made per call
     * would hold native memory that only a GC frees.
     */
    public static INDArray kept(INDArray current, long... shape) {
        if (current != null && Arrays.equals(current.shape(), shape)) {
            return current;
        }
        try (MemoryWorkspace ws = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
            return Nd4j.createUninitialized(DataType.FLOAT, shape);
        }
    }

    /** The elements of {@code a} into {@code dst}, in C order (through a C-order float copy when a is not {@link #usable}). */
    public static void read(INDArray a, float[] dst) {
        if (!usable(a)) {
            a = a.castTo(DataType.FLOAT).dup('c');
        }
        Nd4j.getAffinityManager().ensureLocation(a, AffinityManager.Location.HOST); // a no-op on CPU
        // asNioFloat starts at the array's own offset into a shared (workspace) buffer.
        a.data().asNioFloat().get(dst, 0, (int) a.length());
    }

    /**
     * {@code values} into {@code target}, which has as many elements; returns {@code target}. Rather than
     * {@code target.assign(Nd4j.createFromArray(values))} on a per-step path: an array made per call holds
     * native memory that only a GC frees, and a training loop makes little Java garbage.
     */
    public static INDArray put(float[] values, INDArray target) {
        if (usable(target)) {
            write(values, target);
        } else {
            target.assign(Nd4j.createFromArray(values).reshape(target.shape()));
        }
        return target;
    }

    /** {@code src}'s first {@code a.length()} floats into {@code a} (see {@link #usable}), in C order. */
    public static void write(float[] src, INDArray a) {
        a.data().asNioFloat().put(src, 0, (int) a.length());
        Nd4j.getAffinityManager().tagLocation(a, AffinityManager.Location.HOST);
    }
}
