package io.cnnlab.train;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.api.BaseTrainingListener;

import java.nio.file.Path;
import java.util.function.Supplier;

/**
 * Ends training cleanly after the batch during which Ctrl-C ({@link StopSignal}) came: saves a
 * checkpoint of that point, if the run has a folder, and throws {@link TrainingStopped} (exit 130)
 * saying how to resume.
 */
public final class StopOnSignal extends BaseTrainingListener {
    private final Checkpoints checkpoints;
    private final Supplier<TrainState> state;

    /** {@code checkpoints} null: nothing is saved. */
    public StopOnSignal(Checkpoints checkpoints, Supplier<TrainState> state) {
        this.checkpoints = checkpoints;
        this.state = state;
    }

    @Override
    public void iterationDone(Model model, int iteration, int epoch) {
        if (!StopSignal.requested()) {
            return;
        }
        StopSignal.clear();
        if (checkpoints == null) {
            throw new TrainingStopped("training interrupted (no run folder, nothing saved)", TrainingStopped.INTERRUPTED);
        }
        TrainState now = state.get();
        Path saved = checkpoints.save((ComputationGraph) model, now);
        throw new TrainingStopped(String.format("training interrupted in epoch %d after batch %d; checkpoint saved to %s."
                + " Resume with: cnnlab train --resume %s", now.epochsDone() + 1, now.batchesDone(), saved,
                now.config().out()), TrainingStopped.INTERRUPTED);
    }
}
