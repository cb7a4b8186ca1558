package io.cnnlab.train;

import io.cnnlab.report.Progress;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.BaseTrainingListener;

/**
 * Accumulates the mean training loss of the epoch in flight (the notebook's
 * {@code loss_train / len(train_loader)}), drives the progress bar, and stops on a non-finite loss.
 */
public final class EpochLossListener extends BaseTrainingListener {
    private double sum;
    private int count;
    private Progress progress = Progress.NONE;
    private boolean nanGuard = true;

    public void startEpoch(Progress progress) {
        this.sum = 0;
        this.count = 0;
        this.progress = progress;
    }

    public void nanGuard(boolean on) {
        this.nanGuard = on;
    }

    @Override
    public void iterationDone(Model model, int iteration, int epoch) {
        double loss = model.score();
        if (nanGuard && !Double.isFinite(loss)) {
            throw new DivergenceException(loss, count + 1);
        }
        sum += loss;
        count++;
        progress.step(1);
        if ((count & 15) == 0) {
            progress.extra(String.format("loss %.4f", sum / count));
        }
    }

    public double meanLoss() {
        return count == 0 ? Double.NaN : sum / count;
    }

    public int iterations() {
        return count;
    }

    /** The loss became NaN or infinite at {@code iteration} (1-based within the epoch). */
    public static final class DivergenceException extends RuntimeException {
        public final double loss;
        public final int iteration;

        DivergenceException(double loss, int iteration) {
            super("loss is " + loss + " at iteration " + iteration);
            this.loss = loss;
            this.iteration = iteration;
        }
    }
}
