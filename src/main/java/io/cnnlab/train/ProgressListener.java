package io.cnnlab.train;

import io.cnnlab.util.Progress;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.BaseTrainingListener;

/**
 * A progress bar per epoch on an interactive terminal (none in CI logs), with the epoch's running
 * loss from {@link EpochHistory}. {@link #close} ends a bar left open by an epoch that did not finish.
 */
public final class ProgressListener extends BaseTrainingListener implements AutoCloseable {
    private final EpochHistory history;
    private final long batchesPerEpoch;
    private final int epochs;
    private int epoch;
    private long startBatch;
    private Progress bar = Progress.NONE;
    private long steps;

    /** Bars of {@code batchesPerEpoch} steps for a run of {@code epochs} epochs, from epoch {@code firstEpoch} (0-based). */
    public ProgressListener(EpochHistory history, long batchesPerEpoch, int firstEpoch, int epochs) {
        this.history = history;
        this.batchesPerEpoch = batchesPerEpoch;
        this.epoch = firstEpoch;
        this.epochs = epochs;
    }

    /** The first epoch's bar starts at {@code batchesDone}, for a run resumed within an epoch. */
    public ProgressListener startingAtBatch(long batchesDone) {
        this.startBatch = batchesDone;
        return this;
    }

    @Override
    public void onEpochStart(Model model) {
        bar = Progress.of(String.format("Epoch %d/%d", ++epoch, epochs), batchesPerEpoch, " it", 1);
        bar.step(startBatch);
        startBatch = 0;
    }

    @Override
    public void iterationDone(Model model, int iteration, int epochCount) {
        bar.step(1);
        if ((++steps & 15) == 0) {
            bar.extra(String.format("loss %.4f", history.runningLoss()));
        }
    }

    @Override
    public void onEpochEnd(Model model) {
        close();
    }

    @Override
    public void close() {
        bar.close();
        bar = Progress.NONE;
    }
}
