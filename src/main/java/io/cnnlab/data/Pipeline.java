package io.cnnlab.data;

import org.nd4j.linalg.dataset.api.DataSetPreProcessor;
import org.nd4j.linalg.dataset.api.preprocessor.CompositeDataSetPreProcessor;

/**
 * How training batches are made: {@link #MEMORY}, cnnlab's {@link InMemoryIterator} (the default: a
 * table look-up per pixel from the uint8 store), or {@link #DATAVEC}, DataVec's record reader path
 * ({@link DataVecBatches}). Both give the same batches, bit for bit.
 */
public enum Pipeline {
    MEMORY, DATAVEC;

    /**
     * The shuffled training batches of {@code images} in this pipeline, augmented as {@code augmentation}
     * says, labels smoothed by {@code labelSmoothing} (0: one-hot).
     */
    public EpochBatches batches(LabeledImages images, Normalization normalization, int batchSize, long seed,
                                Augmentation augmentation, double labelSmoothing) {
        EpochBatches b = this == MEMORY
                ? new InMemoryIterator(images, normalization, batchSize, seed, true).augment(augmentation)
                : new DataVecBatches(images, normalization, batchSize, seed, augmentation);
        if (labelSmoothing > 0) {
            DataSetPreProcessor own = b.getPreProcessor();
            LabelSmoothing smooth = new LabelSmoothing(labelSmoothing);
            b.setPreProcessor(own == null ? smooth : new CompositeDataSetPreProcessor(own, smooth));
        }
        return b;
    }
}
