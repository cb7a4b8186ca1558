package io.cnnlab.train;

import io.cnnlab.backend.Backend;
import io.cnnlab.data.InMemoryIterator;
import io.cnnlab.data.LabeledImages;
import io.cnnlab.data.Normalization;
import io.cnnlab.model.Net;
import io.cnnlab.model.NetSkip;
import io.cnnlab.testing.RealData;
import org.deeplearning4j.earlystopping.EarlyStoppingConfiguration;
import org.deeplearning4j.earlystopping.EarlyStoppingResult;
import org.deeplearning4j.earlystopping.saver.InMemoryModelSaver;
import org.deeplearning4j.earlystopping.scorecalc.DataSetLossCalculator;
import org.deeplearning4j.earlystopping.termination.MaxEpochsTerminationCondition;
import org.deeplearning4j.earlystopping.trainer.EarlyStoppingGraphTrainer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.learning.config.Sgd;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * cnnlab's training listeners on a cnnlab graph trained by DL4J itself ({@code graph.fit(iterator, epochs)}
 * and {@link EarlyStoppingGraphTrainer}), fed by cnnlab's iterator over real CIFAR-2 images.
 */
class ListenersUnderDl4jFitTest {
    @TempDir
    Path tmp;

    @BeforeAll
    static void backend() {
        Backend.configure();
    }

    private static LabeledImages images() {
        return RealData.cifar2().test(); // 2,000 real images: enough for two quick epochs
    }

    @Test
    void historyLogCheckpointsAndGuardWorkUnderDl4jsFit() {
        ComputationGraph graph = new Net().numClasses(2).seed(7).init();
        EpochHistory history = new EpochHistory();
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Checkpoints checkpoints = new Checkpoints(tmp, 3);
        graph.setListeners(history, new NanGuard(), new NotebookLog(new PrintStream(log, true), history, 2),
                new EpochCheckpoint(checkpoints, () -> history.state(null, null)));
        graph.fit(new InMemoryIterator(images(), Normalization.CIFAR, 64, 7, true), 2);

        assertEquals(2, history.trainLoss().size(), history.trainLoss().toString());
        assertTrue(history.trainLoss().get(1) < history.trainLoss().get(0), "the loss falls: " + history.trainLoss());
        assertTrue(history.epochSeconds().stream().allMatch(s -> s > 0), history.epochSeconds().toString());
        String text = log.toString();
        assertTrue(text.contains(" Epoch 1, Training loss " + history.trainLoss().get(0)), text);
        assertTrue(text.contains(" Epoch 2, Training loss " + history.trainLoss().get(1)), text);
        List<Path> saved = checkpoints.list();
        assertEquals(2, saved.size(), saved.toString());
        assertEquals(List.of(1, 2), saved.stream().map(p -> Checkpoints.readState(p).epochsDone()).toList());
        assertEquals(history.trainLoss(), Checkpoints.readState(saved.get(1)).trainLoss());
        assertEquals(2, graph.getConfiguration().getEpochCount(), "DL4J counted the epochs");
    }

    @Test
    void theGuardStopsADivergingDl4jFit() {
        // relu's skip net: tanh's saturate at such a rate and keep the loss finite
        ComputationGraph graph = new NetSkip().numClasses(2).seed(7).updater(new Sgd(1e20)).init();
        graph.setListeners(new NanGuard());
        TrainingStopped e = assertThrows(TrainingStopped.class,
                () -> graph.fit(new InMemoryIterator(images(), Normalization.CIFAR, 64, 7, true), 3));
        assertEquals(TrainingStopped.DIVERGED, e.exitCode());
        assertTrue(e.getMessage().matches("training diverged: the loss became (NaN|-?Infinity) in epoch \\d, iteration \\d+, at"
                + " learning rate 1\\.0E20; lower the learning rate"), e.getMessage());
    }

    @Test
    void dl4jsEarlyStoppingTrainsACnnlabGraphOnCnnlabsIterator() {
        ComputationGraph graph = new Net().numClasses(2).seed(7).init();
        EpochHistory history = new EpochHistory();
        graph.setListeners(history, new NanGuard());
        InMemoryModelSaver<ComputationGraph> saver = new InMemoryModelSaver<>();
        EarlyStoppingConfiguration<ComputationGraph> es = new EarlyStoppingConfiguration.Builder<ComputationGraph>()
                .epochTerminationConditions(new MaxEpochsTerminationCondition(3))
                .scoreCalculator(new DataSetLossCalculator(InMemoryIterator.inOrder(images(), Normalization.CIFAR, 200), true))
                .modelSaver(saver).build();
        EarlyStoppingResult<ComputationGraph> result = new EarlyStoppingGraphTrainer(es, graph,
                new InMemoryIterator(images(), Normalization.CIFAR, 64, 7, true)).fit();

        assertEquals(EarlyStoppingResult.TerminationReason.EpochTerminationCondition, result.getTerminationReason());
        assertEquals(3, result.getTotalEpochs());
        assertEquals(3, history.trainLoss().size(), "cnnlab's listener saw every epoch DL4J ran");
        var scores = result.getScoreVsEpoch();
        double best = scores.values().stream().mapToDouble(Double::doubleValue).min().orElseThrow();
        assertEquals(best, scores.get(result.getBestModelEpoch()), "the best epoch has the lowest validation loss: " + scores);
        ComputationGraph bestModel = result.getBestModel();
        assertNotNull(bestModel);
        assertEquals(best, new DataSetLossCalculator(InMemoryIterator.inOrder(images(), Normalization.CIFAR, 200), true)
                .calculateScore(bestModel), 1e-6, "the kept model is that epoch's");
    }
}
