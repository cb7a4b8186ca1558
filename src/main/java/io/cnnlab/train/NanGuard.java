package io.cnnlab.train;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.api.BaseTrainingListener;

import java.util.function.Supplier;

/**
 * Stops training as soon as the loss is not a finite number: a diverged run only wastes time, and
 * every later checkpoint would hold NaN weights. Throws {@link TrainingStopped} (exit code 3) from
 * {@code iterationDone}, naming the epoch, the iteration within it and the learning rate.
 */
public final class NanGuard extends BaseTrainingListener {
    private final Supplier<String> advice;
    private int batchInEpoch;
    private int firstEpochStartsAt;

    /** A guard whose message ends with "lower the learning rate". */
    public NanGuard() {
        this(() -> "lower the learning rate");
    }

    /** A guard whose message ends with {@code advice}, asked for when training diverges. */
    public NanGuard(Supplier<String> advice) {
        this.advice = advice;
    }

    /** For a run resumed within an epoch: its first epoch starts after {@code batchesDone} batches. */
    public NanGuard startingAtBatch(int batchesDone) {
        this.firstEpochStartsAt = batchesDone;
        return this;
    }

    @Override
    public void onEpochStart(Model model) {
        batchInEpoch = firstEpochStartsAt;
        firstEpochStartsAt = 0;
    }

    @Override
    public void iterationDone(Model model, int iteration, int epoch) {
        batchInEpoch++;
        double loss = model.score();
        if (!Double.isFinite(loss)) {
            throw new TrainingStopped(String.format("training diverged: the loss became %s in epoch %d, iteration %d, at"
                    + " learning rate %s; %s", loss, epoch + 1, batchInEpoch, learningRate(model, iteration, epoch),
                    advice.get()), TrainingStopped.DIVERGED);
        }
    }

    /** The learning rate of the first layer with weights, as its updater reports it for this iteration. */
    private static String learningRate(Model model, int iteration, int epoch) {
        if (model instanceof ComputationGraph g) {
            for (var layer : g.getLayers()) {
                if (layer.conf().getLayer() instanceof BaseLayer b && b.getIUpdater() != null) {
                    return String.valueOf(b.getIUpdater().getLearningRate(iteration, epoch));
                }
            }
        }
        return "unknown";
    }
}
