package io.cnnlab.train;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.BaseTrainingListener;

import java.nio.file.Path;

/**
 * Ends training cleanly after the batch during which Ctrl-C ({@link StopSignal}) came: saves a
 * checkpoint of that point through the run's {@link EpochCheckpoint}, if it has one, and throws
 * {@link TrainingStopped} (exit 130) saying how to resume.
 */
public final class StopOnSignal extends BaseTrainingListener {
    private final EpochCheckpoint checkpoint;

    /** {@code checkpoint} null: nothing is saved. */
    public StopOnSignal(EpochCheckpoint checkpoint) {
        this.checkpoint = checkpoint;
    }

    @Override
    public void iterationDone(Model model, int iteration, int epoch) {
        if (!StopSignal.requested()) {
            return;
        }
        StopSignal.clear();
        if (checkpoint == null) {
            throw new TrainingStopped("training interrupted (no run folder, nothing saved)", TrainingStopped.INTERRUPTED);
        }
        Path saved = checkpoint.save(model);
        TrainState now = Checkpoints.readState(saved);
        throw new TrainingStopped(String.format("training interrupted in epoch %d after batch %d; checkpoint saved to %s."
                + " Resume with: cnnlab train --resume %s", now.epochsDone() + 1, now.batchesDone(), saved,
                now.config().out()), TrainingStopped.INTERRUPTED);
    }
}
