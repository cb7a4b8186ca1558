package io.cnnlab.helpers;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.layers.normalization.BatchNormalization;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Arrays;

/**
 * A ReLU computed inside the batch norm before it: the link between a batch-norm layer and the ReLU activation
 * layer ({@link LeanActivationLayer}) that alone reads its output. In a synchronised training pass
 * ({@link SyncBatchNorm}) the normalisation writes relu(z) in place of z and keeps the mask (oneDNN's
 * {@code fuse_norm_relu}), the ReLU layer passes that array on, and in the backward pass the ReLU layer passes
 * its gradient back for the batch norm's backward pass to mask. Without it the ReLU layer reads and writes
 * the block's array once each way, on top of the batch norm's own passes over it. Same numbers: relu(z) is
 * the same float either way, and the mask is z &gt; 0 in both.
 *
 * <p>What keeps it safe: {@link Helpers#accelerate} links a pair only where the ReLU layer is the batch norm's
 * one consumer and has no other input; the batch norm fuses only in synchronised training passes with no
 * training listener that looks at activations ({@link BlockedHandoff#allowed}); every hand-over, forward and
 * back, is checked at the receiving end (same array, same thread), and a broken one is an error.
 */
final class FusedRelu {
    private final BatchNormalization batchNorm;
    private final LeanActivationLayer relu;
    // The array handed over last (0: none), its shape and the thread it was handed over on.
    private long address;
    private long[] shape;
    private Thread thread;

    private FusedRelu(BatchNormalization batchNorm, LeanActivationLayer relu) {
        this.batchNorm = batchNorm;
        this.relu = relu;
    }

    /** Links {@code batchNorm} to {@code relu}, its one consumer. */
    static void link(BatchNormalization batchNorm, LeanActivationLayer relu) {
        FusedRelu link = new FusedRelu(batchNorm, relu);
        relu.fusedRelu(link);
    }

    /** The link of {@code batchNorm}, a layer of {@code graph}, or null. */
    static FusedRelu of(ComputationGraph graph, Layer batchNorm) {
        for (Layer l : graph.getLayers()) {
            if (l instanceof LeanActivationLayer relu && relu.fusedRelu() != null
                    && relu.fusedRelu().batchNorm == batchNorm) {
                return relu.fusedRelu();
            }
        }
        return null;
    }

    /** Whether this pass may fuse: a synchronised training pass with no listener that reads activations. */
    boolean allowed() {
        return BlockedHandoff.allowed(true, batchNorm.getListeners());
    }

    /** Records that {@code a} is handed over: relu(z) forward, or the ReLU layer's gradient back. */
    void give(INDArray a) {
        address = a.data().address();
        shape = a.shape();
        thread = Thread.currentThread();
    }

    /**
     * Whether {@code a} is the array handed over last on this thread; taking it ends the hand-over. A pending
     * hand-over and another array is an error: relu(z) (or the unmasked gradient) would be read as something
     * else. {@code at}: the receiving layer's name, for the message.
     */
    boolean take(INDArray a, String at) {
        if (thread != Thread.currentThread()) {
            return false;
        }
        boolean same = a.data().address() == address && Arrays.equals(a.shape(), shape);
        clear();
        if (!same) {
            throw new IllegalStateException("fused ReLU between '" + batchNorm.conf().getLayer().getLayerName()
                    + "' and '" + relu.conf().getLayer().getLayerName() + "' broken: '" + at
                    + "' received another array than the one handed over");
        }
        return true;
    }

    /** Forgets any hand-over (a pass that failed half way). */
    void clear() {
        address = 0;
        shape = null;
        thread = null;
    }
}
