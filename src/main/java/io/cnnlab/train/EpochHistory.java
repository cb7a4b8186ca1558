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
    private double lossSum;
    private int batches;
    private double secondsBefore;
    private long epochStart;

    /** A history that continues {@code state}, mid-epoch included. */
    public EpochHistory(TrainState state) {
        this.trainLoss = new ArrayList<>(state.trainLoss());
        this.epochSeconds = new ArrayList<>(state.epochSeconds());
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

    /** Mean loss of the batches done so far in the current epoch (NaN before the first). */
    public double runningLoss() {
        return batches == 0 ? Double.NaN : lossSum / batches;
    }

    /** Where the run stands now, for a checkpoint: after {@link #onEpochEnd}, at the start of the next epoch. */
    public TrainState state(TrainConfig config, RunSettings settings) {
        return new TrainState(config, trainLoss.size(), batches, lossSum, trainLoss(), epochSeconds(),
                batches == 0 ? 0.0 : secondsInEpoch(), settings);
    }

    private double secondsInEpoch() {
        return secondsBefore + (System.nanoTime() - epochStart) / 1e9;
    }
}
