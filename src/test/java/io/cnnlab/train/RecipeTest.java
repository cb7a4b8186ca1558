package io.cnnlab.train;

import io.cnnlab.UserException;
import io.cnnlab.backend.Backend;
import io.cnnlab.data.CifarData;
import io.cnnlab.inference.ModelFiles;
import io.cnnlab.testing.RealData;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

import static io.cnnlab.testing.Exact.assertBitwiseEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Training recipes: their schedules and settings, and a recipe run resumed mid-epoch equal to the whole run. */
class RecipeTest {
    private static final Recipe EVERYTHING = new Recipe(true, 8, "nesterov", 0.9, 5e-4, "cosine", 1, 0.1, 0);

    @TempDir
    Path tmp;

    @BeforeAll
    static void backend() {
        Backend.configure();
    }

    @Test
    void schedulesGiveTheLearningRateOfEachEpoch() {
        IUpdater cosine = new Recipe(false, 0, "sgd", 0.9, 0, "cosine", 2, 0, 0).updater(0.1, 10);
        assertEquals(0.01, cosine.getLearningRate(0, 0), 1e-12, "warm-up starts at a tenth");
        assertEquals(0.055, cosine.getLearningRate(0, 1), 1e-12);
        assertEquals(0.1, cosine.getLearningRate(0, 2), 1e-12, "then the full rate");
        assertEquals(0.05, cosine.getLearningRate(0, 6), 1e-12, "half-way down the cosine");
        IUpdater step = new Recipe(false, 0, "adam", 0.9, 0, "step", 0, 0, 0).updater(1e-3, 8);
        assertEquals(1e-3, step.getLearningRate(0, 3), 1e-15);
        assertEquals(1e-4, step.getLearningRate(0, 4), 1e-15);
        assertEquals(1e-5, step.getLearningRate(0, 7), 1e-15);
        IUpdater onecycle = new Recipe(false, 0, "sgd", 0.9, 0, "onecycle", 0, 0, 0).updater(0.2, 4);
        assertEquals(0.1, onecycle.getLearningRate(0, 2), 1e-12, "linear down");
        assertInstanceOf(Nesterovs.class, EVERYTHING.updater(0.1, 3));
        assertEquals(0.01, Recipe.NOTEBOOK.updater(0.01, 100).getLearningRate(500, 99), 0, "the notebook's: constant");
    }

    @Test
    void badRecipesAreOneLineErrors() {
        UserException e = assertThrows(UserException.class, () -> new Recipe(false, 0, "rmsprop", 0.9, 0, "constant", 0, 0, 0));
        assertEquals("unknown optimizer 'rmsprop'; choose one of sgd, nesterov, adam", e.getMessage());
        e = assertThrows(UserException.class, () -> new Recipe(false, 0, "sgd", 0.9, 0, "cosine", 0, 1.0, 0));
        assertEquals("label smoothing must be in [0, 1), got 1.0", e.getMessage());
        e = assertThrows(UserException.class, () -> new Recipe(true, 33, "sgd", 0.9, 0, "constant", 0, 0, 0));
        assertEquals("cutout must be 0 (off) to 32 pixels, got 33", e.getMessage());
    }

    @Test
    void aRecipeRunStoppedMidEpochAndResumedIsTheUninterruptedRunBitForBit() {
        CifarData data = new CifarData(RealData.cifar2().train().everyNth(10), RealData.cifar2().test().everyNth(4));
        PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
        TrainConfig cfg = new TrainConfig("batchnorm", "cifar2", 3, 64, 0.05, 11, "test", tmp.resolve("whole"), true, 2,
                EVERYTHING);
        Trainer.Result whole = new Trainer(quiet).train(cfg, data, "test", 0);

        // The same run, stopped (as by Ctrl-C) after batch 5 of epoch 2, then resumed from its checkpoint
        Path dir = tmp.resolve("interrupted");
        int[] batches = {0};
        BaseTrainingListener ctrlC = new BaseTrainingListener() {
            @Override
            public void iterationDone(Model model, int iteration, int epoch) {
                if (++batches[0] == 16 + 5) {
                    StopSignal.request();
                }
            }
        };
        TrainingStopped stop = assertThrows(TrainingStopped.class,
                () -> new Trainer(quiet).listeners(List.of(ctrlC)).train(cfg.withOut(dir), data, "test", 0));
        assertEquals(TrainingStopped.INTERRUPTED, stop.exitCode());
        Trainer.Result resumed = new Trainer(quiet).resume(dir, null, data, "test", 0);

        assertBitwiseEquals(whole.graph().params(), resumed.graph().params(), "parameters after 3 epochs");
        assertEquals(whole.metrics().curves().trainLoss(), resumed.metrics().curves().trainLoss());
        assertEquals(whole.metrics().curves().valAccuracy(), resumed.metrics().curves().valAccuracy());
        assertEquals(EVERYTHING, resumed.metrics().settings().recipe(), "the recipe is recorded");

        ComputationGraph saved = ModelFiles.load(tmp.resolve("whole/model.zip"), true);
        BaseLayer conv = (BaseLayer) saved.getLayer("conv1").conf().getLayer();
        assertInstanceOf(Nesterovs.class, conv.getIUpdater());
        assertTrue(conv.getRegularization().toString().contains("WeightDecay"), conv.getRegularization().toString());
        assertEquals(3, saved.getConfiguration().getEpochCount(), "DL4J's epoch counter, which the schedule reads");
    }

    @Test
    void earlyStoppingEndsAfterThePatienceAndKeepsTheBestEpochsModel() throws Exception {
        // 100 training images and Adam: validation accuracy stops improving within a few epochs
        CifarData data = new CifarData(RealData.cifar2().train().everyNth(100), RealData.cifar2().test().everyNth(10));
        PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
        TrainConfig cfg = new TrainConfig("net", "cifar2", 30, 32, 3e-3, 5, "test", tmp.resolve("es"), true, 1,
                new Recipe(false, 0, "adam", 0.9, 0, "constant", 0, 0, 2));
        Trainer.Result r = new Trainer(quiet).train(cfg, data, "test", 0);
        var curves = r.metrics().curves();
        int best = curves.bestEpoch();
        assertEquals(best + 2, curves.valAccuracy().size(), "stopped 2 epochs after the best: " + curves.valAccuracy());
        assertTrue(curves.valAccuracy().size() < 30, "stopped early");
        assertEquals(curves.valAccuracy().get(best - 1), r.metrics().valAccuracy(), "the kept model is the best epoch's");
        assertBitwiseEquals(ModelFiles.load(tmp.resolve("es/best-model.zip"), false).params(), r.graph().params(),
                "model.zip's parameters are best-model.zip's");
    }

    @Test
    void aScheduledRunCannotBeExtended() {
        CifarData data = new CifarData(RealData.cifar2().train().everyNth(50), RealData.cifar2().test().everyNth(20));
        PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
        TrainConfig cfg = new TrainConfig("net", "cifar2", 1, 64, 0.05, 1, "test", tmp.resolve("run"), true, 1,
                new Recipe(false, 0, "sgd", 0.9, 0, "cosine", 0, 0, 0));
        new Trainer(quiet).train(cfg, data, "test", 0);
        UserException e = assertThrows(UserException.class, () -> new Trainer(quiet).resume(tmp.resolve("run"), 2, data,
                "test", 0));
        assertTrue(e.getMessage().contains("cosine learning-rate schedule over 1 epochs"), e.getMessage());
    }
}
