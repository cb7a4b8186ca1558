package io.cnnlab.train;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cnnlab.model.ParamCount;
import io.cnnlab.util.Json;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The base width ({@code --width}, the notebook's n_chans1) reaches the model, the run's settings and reuse. */
class WidthTest {

    private static TrainConfig config(String arch, int width) {
        return new TrainConfig(arch, "cifar2", 1, 64, 0.01, 42, null, null, true, 1, Recipe.NOTEBOOK, width);
    }

    @Test
    void theModelIsBuiltAtTheGivenWidth() {
        // The notebook's NetWidth(n_chans1=16) is its Net: conv 3-16, conv 16-8, fc 512-32-2, 18,090 parameters.
        assertEquals(18090, ParamCount.trainable(Trainer.newGraph(config("width", 16), 2)));
        // NetBatchNormalization(n_chans1=64), counted from its definition: conv 3-64 and 64-32 without bias,
        // BN(64) and BN(32) gamma + beta, fc (8*8*32)-32, fc 32-2.
        long bn64 = 3 * 64 * 9 + 2 * 64 + 64 * 32 * 9 + 2 * 32 + (8 * 8 * 32 * 32 + 32) + (32 * 2 + 2);
        assertEquals(bn64, ParamCount.trainable(Trainer.newGraph(config("batchnorm", 64), 2)));
        assertEquals(38434, ParamCount.trainable(Trainer.newGraph(config("batchnorm", 0), 2)), "0: the default, 32");
        assertEquals(16, config("net", 0).baseWidth());
        assertEquals(18090, ParamCount.trainable(Trainer.newGraph(config("net", 16), 2)), "Net at its own width");
    }

    @Test
    void theWidthIsARecordedSettingAndOlderRecordsMeanTheDefault() throws Exception {
        var data = io.cnnlab.testing.RealData.cifar2();
        RunSettings wide = RunSettings.of(config("net", 64), data);
        RunSettings plain = RunSettings.of(config("net", 0), data);
        assertEquals(64, wide.width());
        assertEquals(16, plain.width(), "Net's n_chans1 is 16");
        assertEquals(List.of("width 16 there, 64 now"), plain.differences(wide));

        // metrics.json and checkpoints written before the width existed have no "width": they ran at the default.
        ObjectNode old = Json.MAPPER.valueToTree(plain);
        old.remove("width");
        assertTrue(!old.has("width"));
        RunSettings read = Json.MAPPER.treeToValue(old, RunSettings.class);
        assertEquals(List.of(), read.differences(plain));
        assertEquals(List.of("width 16 there, 64 now"), read.differences(wide));
    }
}
