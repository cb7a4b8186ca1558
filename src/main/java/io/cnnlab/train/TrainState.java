package io.cnnlab.train;

import java.util.List;

/**
 * Where a run stands, as a checkpoint records it: the settings, how many epochs and batches of the
 * current epoch are done, the current epoch's running loss, and the metrics of the finished epochs.
 * Together with the parameters and updater state in the checkpoint's model.zip this is everything a
 * resumed run needs: batch order and random numbers are functions of (seed, epoch, batch).
 */
public record TrainState(TrainConfig config, int epochsDone, int batchesDone, double lossSum,
                         List<Double> trainLoss, List<Double> epochSeconds, double secondsInEpoch, RunSettings settings,
                         List<Double> valAccuracy, List<Double> valLoss, List<Double> trainSampleAccuracy) {

    /** Checkpoints written before per-epoch evaluation existed hold no evaluation curves: empty ones. */
    public TrainState {
        valAccuracy = valAccuracy == null ? List.of() : valAccuracy;
        valLoss = valLoss == null ? List.of() : valLoss;
        trainSampleAccuracy = trainSampleAccuracy == null ? List.of() : trainSampleAccuracy;
    }

    public static TrainState start(TrainConfig config) {
        return new TrainState(config, 0, 0, 0.0, List.of(), List.of(), 0.0, null, List.of(), List.of(), List.of());
    }

    /** The same state with {@code newConfig} and {@code newSettings}, as a resumed run records them. */
    public TrainState with(TrainConfig newConfig, RunSettings newSettings) {
        return new TrainState(newConfig, epochsDone, batchesDone, lossSum, trainLoss, epochSeconds, secondsInEpoch,
                newSettings, valAccuracy, valLoss, trainSampleAccuracy);
    }
}
