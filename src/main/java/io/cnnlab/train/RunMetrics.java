package io.cnnlab.train;

import java.util.List;

/**
 * What {@code metrics.json} holds for one run: the {@link RunSettings} that decide whether the run may
 * be reused, its size, its training {@link Curves}, its final accuracies and the {@link Environment}
 * it ran in.
 */
public record RunMetrics(RunSettings settings, long trainableParams, Curves curves, double trainAccuracy,
                         double valAccuracy, Environment environment) {

    /** Per-epoch values, one entry per finished epoch. */
    public record Curves(List<Double> trainLoss, List<Double> epochSeconds) {
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
