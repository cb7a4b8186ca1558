package io.cnnlab.train;

import java.util.List;

/** What {@code metrics.json} holds for one run; {@code settings} decides whether the run may be reused. */
public record RunMetrics(
        String arch,
        String dataset,
        List<String> classes,
        int epochs,
        int batchSize,
        double learningRate,
        long seed,
        long trainableParams,
        List<Double> trainLoss,
        List<Double> epochSeconds,
        double trainAccuracy,
        double valAccuracy,
        String backend,
        String dl4jVersion,
        String cnnlabVersion,
        String dataSource,
        double dataLoadSeconds,
        long peakRssBytes,
        int workers,
        RunSettings settings) {
}
