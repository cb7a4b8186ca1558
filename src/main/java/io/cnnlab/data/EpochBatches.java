package io.cnnlab.data;

import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;

/**
 * A {@code DataSetIterator} whose epochs can be entered directly: the order of epoch e is fixed by
 * the seed and e, so a run resumed at (epoch, batch) sees the batches an uninterrupted run saw.
 * cnnlab's trainer reads its training data through this.
 */
public interface EpochBatches extends DataSetIterator {
    /** Positions the iterator at the start of epoch {@code e} (0-based), with that epoch's order. */
    void setEpoch(int e);

    /** Skips the first {@code n} batches of the current epoch. */
    void skipBatches(int n);

    int batchesPerEpoch();

    /** The number of values in one image, 3 x 32 x 32. */
    @Override
    default int inputColumns() {
        return LabeledImages.IMAGE_BYTES;
    }

    /** Every epoch's order is set by {@link #setEpoch}; a reset moves on as each implementation says. */
    @Override
    default boolean resetSupported() {
        return true;
    }

    /**
     * No prefetching thread: a batch takes far less time to build than a training step, and the thread
     * would compete with the training threads for the cores.
     */
    @Override
    default boolean asyncSupported() {
        return false;
    }
}
