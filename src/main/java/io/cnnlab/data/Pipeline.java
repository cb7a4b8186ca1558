package io.cnnlab.data;

/**
 * How training batches are made: {@link #MEMORY}, cnnlab's {@link InMemoryIterator} (the default: a
 * table look-up per pixel from the uint8 store), or {@link #DATAVEC}, DataVec's record reader path
 * ({@link DataVecBatches}). Both give the same batches, bit for bit.
 */
public enum Pipeline {
    MEMORY, DATAVEC;

    /** The shuffled training batches of {@code images} in this pipeline. */
    public EpochBatches batches(LabeledImages images, Normalization normalization, int batchSize, long seed) {
        return this == MEMORY ? new InMemoryIterator(images, normalization, batchSize, seed, true)
                : new DataVecBatches(images, normalization, batchSize, seed);
    }
}
