package io.cnnlab.train;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.BaseTrainingListener;

import java.util.ArrayList;
import java.util.List;

/**
 * The training curve of a run, recorded as training goes: each finished epoch's mean training loss
 * and wall seconds, and the running sum of the current one. It is what a checkpoint's
 * {@link TrainState} and {@code metrics.json} hold; cnnlab's other listeners read it, so it comes
 * first among them.
 */
public final class EpochHistory extends BaseTrainingListener {
    private final List<Double> trainLoss;
    private final List<Double> epochSeconds;
    private final List<Double> valAccuracy;
    private final List<Double> valLoss;
    private final List<Double> trainSampleAccuracy;
    private double lossSum;
    private int batches;
    private double secondsBefore;
    private long epochStart;

    /** A history that continues {@code state}, mid-epoch included. */
    public EpochHistory(TrainState state) {
        this.trainLoss = new ArrayList<>(state.trainLoss());
        this.epochSeconds = new ArrayList<>(state.epochSeconds());
        this.valAccuracy = new ArrayList<>(state.valAccuracy());
        this.valLoss = new ArrayList<>(state.valLoss());
        this.trainSampleAccuracy = new ArrayList<>(state.trainSampleAccuracy());
        this.lossSum = state.lossSum();
        this.batches = state.batchesDone();
        this.secondsBefore = state.secondsInEpoch();
    }

    /** An empty history, for a network trained from scratch. */
    public EpochHistory() {
        this(TrainState.start(null));
    }

    @Override
    public void onEpochStart(Model model) {
        epochStart = System.nanoTime();
    }

    @Override
    public void iterationDone(Model model, int iteration, int epoch) {
        lossSum += model.score();
        batches++;
    }

    @Override
    public void onEpochEnd(Model model) {
        trainLoss.add(batches == 0 ? Double.NaN : lossSum / batches);
        epochSeconds.add(secondsInEpoch());
        lossSum = 0;
        batches = 0;
        secondsBefore = 0;
    }

    /** Mean training loss of each finished epoch. */
    public List<Double> trainLoss() {
        return List.copyOf(trainLoss);
    }

    /** Wall seconds of each finished epoch (a resumed epoch counts the time before and after the stop). */
    public List<Double> epochSeconds() {
        return List.copyOf(epochSeconds);
    }

    /** Records the evaluation after the epoch just finished ({@link EpochEvaluation} calls this). */
    public void recordEvaluation(double valAcc, double valMeanLoss, double trainSampleAcc) {
        valAccuracy.add(valAcc);
        valLoss.add(valMeanLoss);
        trainSampleAccuracy.add(trainSampleAcc);
    }

    /** The curves so far, as {@code metrics.json} records them. */
    public RunMetrics.Curves curves() {
        return RunMetrics.Curves.of(trainLoss(), epochSeconds(), List.copyOf(valAccuracy), List.copyOf(valLoss),
                List.copyOf(trainSampleAccuracy));
    }

    /** Mean loss of the batches done so far in the current epoch (NaN before the first). */
    public double runningLoss() {
        return batches == 0 ? Double.NaN : lossSum / batches;
    }

    /** Where the run stands now, for a checkpoint: after {@link #onEpochEnd}, at the start of the next epoch. */
    public TrainState state(TrainConfig config, RunSettings settings) {
        return new TrainState(config, trainLoss.size(), batches, lossSum, trainLoss(), epochSeconds(),
                batches == 0 ? 0.0 : secondsInEpoch(), settings, List.copyOf(valAccuracy), List.copyOf(valLoss),
                List.copyOf(trainSampleAccuracy));
    }

    private double secondsInEpoch() {
        return secondsBefore + (System.nanoTime() - epochStart) / 1e9;
    }
}
