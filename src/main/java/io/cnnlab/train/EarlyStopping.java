package io.cnnlab.train;

import io.cnnlab.inference.ModelFiles;
import io.cnnlab.util.AtomicFiles;
import io.cnnlab.util.Words;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.file.Path;
import java.util.List;

/**
 * Early stopping on validation accuracy, as a listener after {@link EpochEvaluation}: keeps the parameters
 * of the best epoch so far (in {@code best-model.zip} of the run folder, written atomically, or in memory
 * without one) and ends training, through {@link Stop}, once {@code patience} epochs have passed without
 * a better one. Its state is the history's validation curve, so a resumed run stops where the
 * uninterrupted one would. The trainer then puts the best parameters back ({@link #restoreBest}).
 */
public final class EarlyStopping extends BaseTrainingListener {
    /** Thrown from {@code onEpochEnd} to end training early; not an error. */
    public static final class Stop extends RuntimeException {
        Stop(String message) {
            super(message, null, false, false);
        }
    }

    private final EpochHistory history;
    private final int patience;
    private final Path bestFile;
    private INDArray bestInMemory;

    /** {@code bestFile} null: the best parameters are kept in memory. */
    public EarlyStopping(EpochHistory history, int patience, Path bestFile) {
        if (patience < 1) {
            throw new IllegalArgumentException("patience must be at least 1, got " + patience);
        }
        this.history = history;
        this.patience = patience;
        this.bestFile = bestFile;
    }

    @Override
    public void onEpochEnd(Model model) {
        RunMetrics.Curves curves = history.curves();
        List<Double> val = curves.valAccuracy();
        int best = curves.bestEpoch();
        if (best == val.size()) {
            ComputationGraph g = (ComputationGraph) model;
            if (bestFile != null) {
                AtomicFiles.write(bestFile, tmp -> ModelSerializer.writeModel(g, tmp.toFile(), false));
            } else {
                bestInMemory = g.params().dup();
            }
        } else if (val.size() - best >= patience) {
            throw new Stop(String.format("early stop after epoch %d: validation accuracy %.4f at epoch %d, not bettered"
                    + " in %s", val.size(), val.get(best - 1), best, Words.count(patience, "epoch")));
        }
    }

    /** Puts the best epoch's parameters into {@code graph}. */
    public void restoreBest(ComputationGraph graph) {
        INDArray best = bestFile != null ? ModelFiles.load(bestFile, false).params() : bestInMemory;
        graph.params().assign(best);
    }
}
