package io.cnnlab.train;

import io.cnnlab.backend.Backend;
import io.cnnlab.data.InMemoryIterator;
import io.cnnlab.data.LabeledImages;
import io.cnnlab.data.Normalization;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

/**
 * After every epoch: validation accuracy and mean cross-entropy, and the accuracy on a fixed sample of
 * the training images, recorded in {@link EpochHistory}, so that a run's curves show where validation
 * accuracy peaks and how far training accuracy runs ahead of it (the notebook's overfitting). The
 * training sample keeps this cheap (every image of the validation set, a sample as large from the
 * training set); the run's final training accuracy is still taken over all training images.
 * Registered after {@code history} and before any checkpoint listener, so checkpoints hold the epoch's
 * evaluation.
 */
public final class EpochEvaluation extends BaseTrainingListener {
    /** Size of the training sample evaluated after each epoch: as large as CIFAR-2's validation set. */
    public static final int TRAIN_SAMPLE = 2000;

    private final EpochHistory history;
    private final LabeledImages validation;
    private final LabeledImages trainSample;
    private final Normalization normalization;
    private final int batchSize;

    public EpochEvaluation(EpochHistory history, LabeledImages train, LabeledImages validation,
                           Normalization normalization, int batchSize) {
        this.history = history;
        this.validation = validation;
        this.trainSample = train.everyNth(Math.max(1, train.size() / TRAIN_SAMPLE));
        this.normalization = normalization;
        this.batchSize = batchSize;
    }

    @Override
    public void onEpochEnd(Model model) {
        ComputationGraph graph = (ComputationGraph) model;
        double[] val = accuracyAndLoss(graph, validation);
        double[] train = accuracyAndLoss(graph, trainSample);
        history.recordEvaluation(val[0], val[1], train[0]);
    }

    /**
     * One inference pass: DL4J's {@link Evaluation} for the accuracy, and the mean of -ln p(true class)
     * of the softmax outputs for the loss (the training loss without its regularisation terms).
     */
    private double[] accuracyAndLoss(ComputationGraph graph, LabeledImages images) {
        Evaluation ev = new Evaluation(images.numClasses());
        double lossSum = 0;
        InMemoryIterator it = InMemoryIterator.inOrder(images, normalization, batchSize);
        while (it.hasNext()) {
            DataSet ds = it.next();
            INDArray out = Backend.output(graph, ds.getFeatures());
            ev.eval(ds.getLabels(), out);
            float[] p = out.dup().data().asFloat();
            float[] y = ds.getLabels().data().asFloat(); // one-hot
            for (int j = 0; j < p.length; j++) {
                if (y[j] > 0) {
                    lossSum -= Math.log(Math.max(p[j], 1e-30f));
                }
            }
            out.close();
            ds.getFeatures().close();
            ds.getLabels().close();
        }
        return new double[] {ev.accuracy(), lossSum / images.size()};
    }
}
