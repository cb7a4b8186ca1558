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
}
