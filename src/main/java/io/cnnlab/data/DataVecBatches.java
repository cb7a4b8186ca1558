package io.cnnlab.data;

import org.deeplearning4j.datasets.datavec.RecordReaderDataSetIterator;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.DataSetPreProcessor;

import java.util.List;

/**
 * cnnlab's training batches through DataVec: a {@link CifarRecordReader} behind DL4J's
 * {@link RecordReaderDataSetIterator}, normalised by {@link Normalization#normalizer()}. The batches
 * equal {@link InMemoryIterator}'s for the same seed and epoch; {@code train --pipeline datavec} uses it.
 */
public final class DataVecBatches implements EpochBatches {
    private final CifarRecordReader reader;
    private final RecordReaderDataSetIterator iterator;
    private final int batchSize;

    public DataVecBatches(LabeledImages images, Normalization normalization, int batchSize, long seed,
                          Augmentation augmentation) {
        this.reader = new CifarRecordReader(images, seed).augment(augmentation);
        this.batchSize = batchSize;
        this.iterator = new RecordReaderDataSetIterator(reader, batchSize, 1, images.numClasses());
        this.iterator.setPreProcessor(normalization.normalizer());
    }

    @Override
    public void setEpoch(int e) {
        reader.setEpoch(e);
    }

    @Override
    public void skipBatches(int n) {
        reader.skip(n * batchSize);
    }

    @Override
    public int batchesPerEpoch() {
        return (reader.numExamples() + batchSize - 1) / batchSize;
    }

    @Override
    public boolean hasNext() {
        return iterator.hasNext();
    }

    @Override
    public DataSet next() {
        return iterator.next();
    }

    @Override
    public DataSet next(int num) {
        return iterator.next(num);
    }


    @Override
    public int totalOutcomes() {
        return iterator.totalOutcomes();
    }



    @Override
    public void reset() {
        reader.reset();
    }

    @Override
    public int batch() {
        return batchSize;
    }

    @Override
    public void setPreProcessor(DataSetPreProcessor preProcessor) {
        iterator.setPreProcessor(preProcessor);
    }

    @Override
    public DataSetPreProcessor getPreProcessor() {
        return iterator.getPreProcessor();
    }

    @Override
    public List<String> getLabels() {
        return reader.getLabels();
    }
}
