package io.cnnlab.train;

import java.util.List;

/**
 * What {@code metrics.json} holds for one run: the {@link RunSettings} that decide whether the run may
 * be reused, its size, its training {@link Curves}, its final accuracies and the {@link Environment}
 * it ran in.
 */
public record RunMetrics(RunSettings settings, long trainableParams, Curves curves, double trainAccuracy,
                         double valAccuracy, Environment environment) {

    /**
     * Per-epoch values, one entry per finished epoch: mean training loss, wall seconds (training only),
     * and after each epoch the validation accuracy and mean cross-entropy and the accuracy on a fixed
     * sample of the training images ({@link EpochEvaluation}); {@code bestEpoch} (1-based) is the epoch
     * of the highest validation accuracy, 0 without evaluations.
     */
    public record Curves(List<Double> trainLoss, List<Double> epochSeconds, List<Double> valAccuracy,
                         List<Double> valLoss, List<Double> trainSampleAccuracy, int bestEpoch) {

        /** The curves, with {@code bestEpoch} found from {@code valAccuracy} (the first of equal bests). */
        public static Curves of(List<Double> trainLoss, List<Double> epochSeconds, List<Double> valAccuracy,
                                List<Double> valLoss, List<Double> trainSampleAccuracy) {
            int best = 0;
            for (int e = 0; e < valAccuracy.size(); e++) {
                if (best == 0 || valAccuracy.get(e) > valAccuracy.get(best - 1)) {
                    best = e + 1;
                }
            }
            return new Curves(trainLoss, epochSeconds, valAccuracy, valLoss, trainSampleAccuracy, best);
        }
    }

    /** Where the run ran and how its data came in. */
    public record Environment(String backend, String dl4jVersion, String cnnlabVersion, String dataSource,
                              double dataLoadSeconds, long peakRssBytes) {
    }

    public String arch() {
        return settings.arch();
    }

    public String dataset() {
        return settings.dataset();
    }

    public List<String> classes() {
        return settings.classes();
    }

    public int epochs() {
        return settings.epochs();
    }

    public int batchSize() {
        return settings.batchSize();
    }

    public double learningRate() {
        return settings.learningRate();
    }

    public long seed() {
        return settings.seed();
    }

    public int workers() {
        return settings.workers();
    }

    public List<Double> trainLoss() {
        return curves.trainLoss();
    }

    public List<Double> epochSeconds() {
        return curves.epochSeconds();
    }
}
