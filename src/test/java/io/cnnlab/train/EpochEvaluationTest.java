package io.cnnlab.train;

import io.cnnlab.backend.Backend;
import io.cnnlab.data.CifarData;
import io.cnnlab.data.InMemoryIterator;
import io.cnnlab.data.LabeledImages;
import io.cnnlab.data.Normalization;
import io.cnnlab.model.Architectures;
import io.cnnlab.parallel.DataParallel;
import io.cnnlab.testing.RealData;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.learning.config.Sgd;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/** The evaluation after each epoch gives the same figures whether or not it spreads over the training workers. */
class EpochEvaluationTest {
    @BeforeAll
    static void cnnlabsBackendSettings() {
        Backend.configure();
    }

    /**
     * The figures {@link EpochEvaluation} records (validation accuracy and loss, training-sample accuracy) for
     * a graph after {@code steps} split steps, evaluated alone on this thread and spread over 2 workers. The
     * steps leave the workers' replicas one update behind the main graph, so a spread evaluation that
     * skipped the parameter hand-over would measure other parameters.
     */
    @ParameterizedTest
    @ValueSource(strings = {"net", "batchnorm"})
    void spreadOverTwoWorkersItRecordsExactlyWhatOneInferenceRecords(String arch) {
        CifarData data = RealData.cifar2();
        ComputationGraph graph = Architectures.get(arch).create().seed(3).updater(new Sgd(0.05)).init();
        Backend.accelerate(graph);
        // A validation set of 40 images is one batch: the second worker then has no batch to evaluate.
        for (LabeledImages validation : List.of(data.test(), data.test().everyNth(50))) {
            try (DataParallel steps = new DataParallel(graph, 2)) {
                InMemoryIterator it = new InMemoryIterator(data.train(), Normalization.CIFAR, 64, 9, true);
                for (int s = 0; s < 3; s++) {
                    steps.fit(it.next(), s);
                }
                List<Double> alone = figures(graph, data.train(), validation, null, steps);
                List<Double> spread = figures(graph, data.train(), validation, steps, steps);
                assertEquals(alone, spread, arch + ", " + validation.size() + " validation images");
                assertNotEquals(0.0, alone.get(1), "a loss was summed");
            }
        }
    }

    private static List<Double> figures(ComputationGraph graph, LabeledImages train, LabeledImages validation,
                                        DataParallel workers, DataParallel steps) {
        EpochHistory history = new EpochHistory();
        EpochEvaluation evaluation = new EpochEvaluation(history, train, validation, Normalization.CIFAR, 64);
        evaluation.useWorkers(workers);
        history.onEpochEnd(graph);
        steps.betweenSteps(() -> evaluation.onEpochEnd(graph)); // as the trainer runs it
        RunMetrics.Curves c = history.curves();
        return List.of(c.valAccuracy().get(0), c.valLoss().get(0), c.trainSampleAccuracy().get(0));
    }
}
