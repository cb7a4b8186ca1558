package io.cnnlab.train;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.api.BaseTrainingListener;

import java.nio.file.Path;
import java.util.function.Supplier;

/**
 * A checkpoint after every epoch ({@link Checkpoints}: atomic, synced, the newest few kept), with
 * the run's {@link TrainState} from {@code state}. DL4J's own {@code CheckpointListener} writes its
 * zips in place and records no training state, so a crash mid-write or a resume could not be trusted.
 */
public final class EpochCheckpoint extends BaseTrainingListener {
    private final Checkpoints checkpoints;
    private final Supplier<TrainState> state;

    /** Writes {@code state}'s value (asked for after the epoch ends) into {@code checkpoints}. */
    public EpochCheckpoint(Checkpoints checkpoints, Supplier<TrainState> state) {
        this.checkpoints = checkpoints;
        this.state = state;
    }

    @Override
    public void onEpochEnd(Model model) {
        save(model);
    }

    /** Writes a checkpoint of {@code model} at the state it is in now; returns its folder. */
    public Path save(Model model) {
        return checkpoints.save((ComputationGraph) model, state.get());
    }
}
