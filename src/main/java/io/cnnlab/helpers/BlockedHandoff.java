package io.cnnlab.helpers;

import org.bytedeco.dnnl.memory;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.layers.normalization.BatchNormalization;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * A convolution's output handed in oneDNN's channel-blocked layout ({@code nChw16c}, {@code nChw8c}) to the
 * layer that alone reads it, max pooling ({@link OneDnnSubsamplingLayer}) or synchronised batch norm
 * ({@link SyncBatchNorm}), and that layer's input gradient handed back the same way. Each convolution
 * primitive works in a blocked layout, and so do max pooling and batch norm where they have JIT kernels;
 * DL4J's arrays are NCHW, so without the hand-off the step reorders the convolution's output to NCHW and the
 * next layer reorders it back, and the same again for the gradient: four or more passes over arrays of the
 * network's largest size ({@code net}'s first layer: 2 MB per 32-image slice). With it the convolution writes
 * its blocked output straight into the NCHW-shaped array DL4J holds, the activation runs on it in place (an
 * elementwise op does not care about the order of the elements), the next layer reads it as blocked, and the
 * backward pass mirrors it. Reorders copy exactly, so the step computes the same numbers bit for bit.
 *
 * <p>What keeps it safe: {@link Helpers#accelerate} links a pair only where the consumer is the convolution's
 * one consumer and has no other input; it runs only in training passes on the worker threads of a split step
 * (where the graph's intermediate activations are the step's own), and in inference passes that
 * {@link Helpers#outputOnly} runs for a caller that reads nothing but the network's output (to pooling only:
 * batch norm's inference pass is DL4J's), and only while no training listener looks at activations
 * ({@code onForwardPass}); every hand-off is checked at the receiving end (same array, same thread), and a
 * broken one is an error, never a silent misreading.
 */
final class BlockedHandoff {
    /** The layouts handed over: those of oneDNN's convolutions on AVX-512 and on AVX2. */
    static final memory.format_tag[] LAYOUTS = {memory.format_tag.nChw16c, memory.format_tag.nChw8c};
    private static final Map<Class<?>, Boolean> READS_ACTIVATIONS = new ConcurrentHashMap<>();
    private static final LayerHelpers BATCH_NORM_HELPERS = new LayerHelpers(BatchNormalization.class);
    private static final ThreadLocal<Boolean> OUTPUT_ONLY = ThreadLocal.withInitial(() -> false);
    private final Layer consumer;
    // The blocked array handed over last (null: none), its layout and the thread it was made on.
    private long address;
    private long[] shape;
    private memory.format_tag layout;
    private Thread thread;
    private boolean trainingPass;

    /** A link to {@code consumer}: a {@link OneDnnSubsamplingLayer} or a batch-norm layer. */
    BlockedHandoff(Layer consumer) {
        this.consumer = consumer;
    }

    /**
     * Whether the consumer takes an input of {@code shape} in {@code layout} in this pass: a pooling layer with a
     * JIT kernel for it, or a batch-norm layer whose synchronised helper has one (the helper is installed by
     * {@link io.cnnlab.parallel.DataParallel} after the link is made, so it is looked up here).
     */
    boolean consumerTakes(long[] shape, memory.format_tag layout) {
        if (consumer instanceof OneDnnSubsamplingLayer pool) {
            return pool.takesBlocked(shape, layout);
        }
        return trainingPass && consumer instanceof BatchNormalization bn
                && BATCH_NORM_HELPERS.get(bn) instanceof SyncBatchNorm sync && sync.takesBlocked(bn, shape, layout, this);
    }

    /** This link, for a training pass or an inference pass; returns this. */
    BlockedHandoff forPass(boolean training) {
        this.trainingPass = training;
        return this;
    }

    /**
     * Whether a pass may hand arrays over: a training pass on a split step's worker thread, or an inference pass
     * inside {@link #outputOnly}; either with no listener that reads activations.
     */
    static boolean allowed(boolean training, Collection<TrainingListener> listeners) {
        if (!(training ? SyncBatchNorm.isWorkerThread() : OUTPUT_ONLY.get())) {
            return false;
        }
        if (listeners != null) {
            for (TrainingListener l : listeners) {
                if (READS_ACTIVATIONS.computeIfAbsent(l.getClass(), BlockedHandoff::overridesForwardPass)) {
                    return false;
                }
            }
        }
        return true;
    }

    /** {@code pass}, with inference passes on this thread allowed to hand arrays over while it runs. */
    static <T> T outputOnly(Supplier<T> pass) {
        boolean before = OUTPUT_ONLY.get();
        OUTPUT_ONLY.set(true);
        try {
            return pass.get();
        } finally {
            OUTPUT_ONLY.set(before);
        }
    }

    private static boolean overridesForwardPass(Class<?> listener) {
        try {
            return listener.getMethod("onForwardPass", Model.class, Map.class).getDeclaringClass()
                    != BaseTrainingListener.class
                    || listener.getMethod("onForwardPass", Model.class, java.util.List.class).getDeclaringClass()
                    != BaseTrainingListener.class;
        } catch (NoSuchMethodException e) {
            return true;
        }
    }

    /** Records that {@code a} holds {@code layout}'s blocked data for the other end; null: nothing handed over. */
    void give(INDArray a, memory.format_tag layout) {
        this.layout = a == null ? null : layout;
        this.address = a == null ? 0 : a.data().address();
        this.shape = a == null ? null : a.shape();
        this.thread = a == null ? null : Thread.currentThread();
    }

    /**
     * The layout of {@code a} if it is the array handed over last on this thread, else null (NCHW). Taking it
     * ends the hand-off. An array that replaced a handed-over one of the same shape on this thread is an error:
     * its data would be read in the wrong order.
     */
    memory.format_tag take(INDArray a) {
        memory.format_tag l = layout;
        if (l == null || thread != Thread.currentThread()) {
            return null;
        }
        boolean same = a.data().address() == address && java.util.Arrays.equals(a.shape(), shape);
        give(null, null);
        if (!same) {
            throw new IllegalStateException("blocked hand-off to '" + consumer.conf().getLayer().getLayerName()
                    + "' broken: it received another array than the one handed over");
        }
        return l;
    }

    /** Whether an array was handed over and not yet taken. */
    boolean pending() {
        return layout != null;
    }

    /** Forgets any hand-off (a pass that failed half way). */
    void clear() {
        give(null, null);
    }
}
