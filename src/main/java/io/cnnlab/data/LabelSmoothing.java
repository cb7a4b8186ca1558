package io.cnnlab.data;

import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.dataset.api.DataSetPreProcessor;

/**
 * Label smoothing as an ND4J preprocessor: one-hot labels y become (1 - eps) y + eps / k, so that the
 * softmax cross-entropy no longer pushes the true class's probability to 1. Accuracy is unchanged (the
 * largest label still marks the true class).
 */
public final class LabelSmoothing implements DataSetPreProcessor {
    private final double eps;

    public LabelSmoothing(double eps) {
        if (!(eps >= 0 && eps < 1)) {
            throw new IllegalArgumentException("label smoothing must be in [0, 1), got " + eps);
        }
        this.eps = eps;
    }

    @Override
    public void preProcess(DataSet ds) {
        long k = ds.getLabels().size(1);
        ds.getLabels().muli(1 - eps).addi(eps / k);
    }
}
