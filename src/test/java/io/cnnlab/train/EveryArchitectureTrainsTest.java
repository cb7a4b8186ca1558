package io.cnnlab.train;

import io.cnnlab.experiment.Profiles;
import io.cnnlab.model.Architectures;
import io.cnnlab.testing.RealData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.OutputStream;
import java.io.PrintStream;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** One epoch of every architecture on the real CIFAR-2, at its profile's learning rate. */
class EveryArchitectureTrainsTest {

    static List<String> archs() {
        return Architectures.names();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("archs")
    void oneEpochWithoutNaNBeatsChance(String arch) {
        double lr = Profiles.learningRateOf(arch);
        TrainConfig cfg = new TrainConfig(arch, "cifar2", 1, 64, lr, 42, null, null, true);
        RunMetrics m = new Trainer(new PrintStream(OutputStream.nullOutputStream()))
                .train(cfg, RealData.cifar2(), "test", 0).metrics();
        System.out.printf("%-10s lr %-6s loss %.4f  train %.4f  val %.4f  %.1f s/epoch%n", arch, lr,
                m.trainLoss().get(0), m.trainAccuracy(), m.valAccuracy(), m.epochSeconds().get(0));
        assertTrue(Double.isFinite(m.trainLoss().get(0)), "finite loss");
        assertTrue(m.valAccuracy() > 0.6, arch + " val accuracy " + m.valAccuracy() + " should beat chance (0.5) clearly");
    }
}
