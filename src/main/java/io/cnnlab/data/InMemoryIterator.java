package io.cnnlab.data;

import io.cnnlab.util.HostFloats;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.DataSetPreProcessor;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Arrays;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Random;

/**
 * Minibatches over a {@link LabeledImages} store, normalised on the fly: NCHW float features
 * [b, 3, 32, 32] and one-hot labels. Every example is visited exactly once per epoch; the last batch
 * may be smaller (like PyTorch's DataLoader). With shuffling on, the order of epoch e is a function
 * of (seed, e) only, so a run resumed at epoch e sees the same batches as an uninterrupted one.
 *
 * <p>Written by hand rather than from DL4J's INDArray iterators so that the store stays uint8
 * (4x smaller than floats) and each batch is one table look-up pass with no intermediate arrays.
 * DL4J's asynchronous prefetch is declined: a batch takes far less time to build than a step, and the
 * prefetch thread competes with the training threads for the cores.
 */
public final class InMemoryIterator implements EpochBatches {
    private final LabeledImages images;
    private final Normalization normalization;
    private final int batchSize;
    private final long seed;
    private final boolean shuffle;
    private final int[] order;
    private int epoch;
    private int cursor;
    private DataSetPreProcessor preProcessor;
    private Augmentation augmentation = Augmentation.NONE;

    public InMemoryIterator(LabeledImages images, Normalization normalization, int batchSize, long seed, boolean shuffle) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
        }
        if (images.size() == 0) {
            throw new IllegalArgumentException("no images to iterate over");
        }
        this.images = images;
        this.normalization = normalization;
        this.batchSize = batchSize;
        this.seed = seed;
        this.shuffle = shuffle;
        this.order = new int[images.size()];
        setEpoch(0);
    }

    /** Turns crop/flip {@link Augmentation} on (training batches) or off; returns this iterator. */
    public InMemoryIterator augment(boolean on) {
        return augment(Augmentation.cropFlip(on));
    }

    /** Augments every image as {@code a} says ({@link Augmentation#NONE}: not at all); returns this iterator. */
    public InMemoryIterator augment(Augmentation a) {
        this.augmentation = Objects.requireNonNull(a);
        return this;
    }

    /** An unshuffled iterator, for evaluation. */
    public static InMemoryIterator inOrder(LabeledImages images, Normalization normalization, int batchSize) {
        return new InMemoryIterator(images, normalization, batchSize, 0, false);
    }

    /** Positions the iterator at the start of epoch {@code e} (0-based), with that epoch's order. */
    @Override
    public void setEpoch(int e) {
        this.epoch = e;
        int[] o = shuffle ? shuffledIndices(order.length, seed, e) : inOrderIndices(order.length);
        System.arraycopy(o, 0, order, 0, o.length);
        cursor = 0;
    }

    /** 0, 1, ..., n - 1. */
    static int[] inOrderIndices(int n) {
        int[] o = new int[n];
        for (int i = 0; i < n; i++) {
            o[i] = i;
        }
        return o;
    }

    /** The visiting order of epoch {@code e} for {@code seed}: a Fisher-Yates shuffle from (seed, e) only. */
    static int[] shuffledIndices(int n, long seed, int e) {
        int[] o = inOrderIndices(n);
        Random rng = new Random(seed * 1_000_003L + e);
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = o[i];
            o[i] = o[j];
            o[j] = t;
        }
        return o;
    }

    /** Skips the first {@code n} batches of the current epoch, as a resumed run must. */
    @Override
    public void skipBatches(int n) {
        cursor = Math.min(order.length, n * batchSize);
    }

    public int epoch() {
        return epoch;
    }

    /** The indices of the current epoch, in visiting order (a copy). */
    public int[] epochOrder() {
        return order.clone();
    }

    public int numExamples() {
        return images.size();
    }

    @Override
    public int batchesPerEpoch() {
        return (images.size() + batchSize - 1) / batchSize;
    }

    @Override
    public boolean hasNext() {
        return cursor < order.length;
    }

    @Override
    public DataSet next() {
        return next(batchSize);
    }

    @Override
    public DataSet next(int num) {
        return nextBatch(num).whole();
    }

    /**
     * The next batch, its images chosen but not yet normalised: {@link Batch#slice} builds any contiguous part
     * of it on the calling thread, so that each training worker can build its own slice while the others build
     * theirs (see {@code DataParallel}). The arrays are those {@link #next} gives, bit for bit.
     */
    public Batch nextBatch(int num) {
        if (!hasNext()) {
            throw new NoSuchElementException("epoch " + epoch + " is finished; call reset()");
        }
        int n = Math.min(num, order.length - cursor);
        Batch b = new Batch(Arrays.copyOfRange(order, cursor, cursor + n), cursor, epoch);
        cursor += n;
        return b;
    }

    /**
     * Whether a batch's slices ({@link Batch#slice}) are exactly its rows as {@link #next} gives them: without a
     * preprocessor, which may mix a batch's rows.
     */
    public boolean sliceable() {
        return preProcessor == null;
    }

    /** A batch of {@link #nextBatch}: the images at given positions of one epoch's order. */
    public final class Batch {
        private final int[] indices;
        private final int firstPosition;
        private final int epochOfBatch;

        private Batch(int[] indices, int firstPosition, int epochOfBatch) {
            this.indices = indices;
            this.firstPosition = firstPosition;
            this.epochOfBatch = epochOfBatch;
        }

        public int size() {
            return indices.length;
        }

        /** The whole batch, preprocessed as {@link #setPreProcessor} says. */
        public DataSet whole() {
            DataSet ds = build(0, indices.length);
            if (preProcessor != null) {
                preProcessor.preProcess(ds);
            }
            return ds;
        }

        /** Images [lo, hi) of the batch, built on the calling thread; only where the iterator is {@link #sliceable}. */
        public DataSet slice(int lo, int hi) {
            if (!sliceable()) {
                throw new IllegalStateException("a batch with a preprocessor is built whole");
            }
            return build(lo, hi);
        }

        private DataSet build(int lo, int hi) {
            int n = hi - lo;
            int k = images.numClasses();
            Stage stage = STAGE.get();
            float[] features = stage.features(n * LabeledImages.IMAGE_BYTES);
            float[] labels = stage.labels(n * k);
            Arrays.fill(labels, 0, n * k, 0f);
            for (int b = 0; b < n; b++) {
                int idx = indices[lo + b];
                if (augmentation.isOn()) {
                    augmentation.apply(images.pixels(), idx * LabeledImages.IMAGE_BYTES, stage.shifted, seed, epochOfBatch,
                            firstPosition + lo + b);
                    normalization.apply(stage.shifted, 0, features, b * LabeledImages.IMAGE_BYTES);
                } else {
                    normalization.apply(images.pixels(), idx * LabeledImages.IMAGE_BYTES, features, b * LabeledImages.IMAGE_BYTES);
                }
                labels[b * k + images.label(idx)] = 1f;
            }
            // Bulk copies: Nd4j.create(float[], shape) copies element by element.
            return new DataSet(
                    HostFloats.put(features, Nd4j.createUninitialized(DataType.FLOAT, n, 3, LabeledImages.SIDE, LabeledImages.SIDE)),
                    HostFloats.put(labels, Nd4j.createUninitialized(DataType.FLOAT, n, k)));
        }
    }

    /**
     * Staging arrays reused from batch to batch, one set per building thread: a new batch-sized float[] per call
     * (786 KB at batch 64, a humongous object to G1) made the young generation, and with it the process's RSS,
     * grow by hundreds of MB during training.
     */
    private static final class Stage {
        private float[] features = new float[0];
        private float[] labels = new float[0];
        private final byte[] shifted = new byte[LabeledImages.IMAGE_BYTES];

        float[] features(int n) {
            if (features.length < n) {
                features = new float[n];
            }
            return features;
        }

        float[] labels(int n) {
            if (labels.length < n) {
                labels = new float[n];
            }
            return labels;
        }
    }

    private static final ThreadLocal<Stage> STAGE = ThreadLocal.withInitial(Stage::new);

    /** Starts the next epoch (reshuffled), unless nothing of the current one was consumed yet. */
    @Override
    public void reset() {
        if (cursor > 0) {
            setEpoch(epoch + 1);
        }
    }




    @Override
    public int totalOutcomes() {
        return images.numClasses();
    }

    @Override
    public int batch() {
        return batchSize;
    }

    @Override
    public void setPreProcessor(DataSetPreProcessor preProcessor) {
        this.preProcessor = preProcessor;
    }

    @Override
    public DataSetPreProcessor getPreProcessor() {
        return preProcessor;
    }

    @Override
    public List<String> getLabels() {
        return images.classNames();
    }
}
