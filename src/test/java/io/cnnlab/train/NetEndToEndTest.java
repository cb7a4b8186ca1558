package io.cnnlab.train;

import io.cnnlab.util.Json;
import com.fasterxml.jackson.databind.JsonNode;
import io.cnnlab.backend.Backend;
import io.cnnlab.data.CifarData;
import io.cnnlab.data.InMemoryIterator;
import io.cnnlab.data.Normalization;
import io.cnnlab.testing.RealData;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.layers.convolution.ConvolutionLayer;
import org.deeplearning4j.nn.layers.mkldnn.MKLDNNConvHelper;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

import static io.cnnlab.testing.Exact.assertBitwiseEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The notebook's baseline, end to end on the real CIFAR-2: 5 epochs of Net. */
class NetEndToEndTest {
    @TempDir
    static Path out;
    static Trainer.Result result;
    static String log;

    @BeforeAll
    static void train() {
        CifarData data = RealData.cifar2();
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        TrainConfig cfg = new TrainConfig("net", "cifar2", 5, 64, 1e-2, 42, null, out, true);
        result = new Trainer(new PrintStream(buf, true)).train(cfg, data, "test", 0);
        log = buf.toString();
        System.out.print(log);
    }

    @Test
    void reachesTheNotebooksLevelQuickly() {
        assertTrue(result.metrics().valAccuracy() >= 0.80, "val accuracy " + result.metrics().valAccuracy());
        assertEquals(18_090, result.metrics().trainableParams());
        assertEquals(5, result.metrics().trainLoss().size());
        assertTrue(result.metrics().trainLoss().get(4) < result.metrics().trainLoss().get(0), "loss falls");
    }

    @Test
    void logsLikeTheNotebook() {
        assertTrue(log.matches("(?s)\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{6} Epoch 1, Training loss 0\\.\\d+\\R.*"), log);
        assertTrue(log.contains(" Epoch 5, Training loss "), log);
        assertTrue(log.matches("(?s).*Accuracy train: 0\\.\\d\\d\\RAccuracy val: 0\\.\\d\\d\\R"), log);
    }

    @Test
    void convolutionsRunOnOneDnn() {
        for (var layer : result.graph().getLayers()) {
            if (layer instanceof ConvolutionLayer conv) {
                // conv1 reads the images: its helper skips their gradient
                String name = layer.conf().getLayer().getLayerName();
                // which layers compute an input gradient: HelpersTest
                assertEquals("io.cnnlab.helpers.OneDnnConvolutionHelper", conv.getHelper().getClass().getName(), name);
            }
        }
    }

    @Test
    void writesMetricsAndAModelThatReloadsToIdenticalOutputs() throws Exception {
        JsonNode m = Json.MAPPER.readTree(out.resolve("metrics.json").toFile());
        for (String key : new String[] {"/settings/arch", "/settings/dataset", "/settings/epochs", "/settings/batchSize",
            "/settings/learningRate", "/settings/seed", "/trainableParams", "/curves/trainLoss", "/curves/epochSeconds",
            "/trainAccuracy", "/valAccuracy", "/environment/backend", "/environment/dl4jVersion"}) {
            assertFalse(m.at(key).isMissingNode(), "metrics.json lacks " + key);
        }
        assertEquals(18_090, m.get("trainableParams").asLong());
        assertEquals(5, m.at("/curves/epochSeconds").size());
        assertEquals("1.0.0-M2.1", m.at("/environment/dl4jVersion").asText());
        assertEquals(result.metrics().valAccuracy(), m.get("valAccuracy").asDouble());
        // Evaluated after every epoch: the last evaluation is the final validation accuracy, and the best epoch is named
        JsonNode val = m.at("/curves/valAccuracy");
        assertEquals(5, val.size());
        assertEquals(5, m.at("/curves/valLoss").size());
        assertEquals(5, m.at("/curves/trainSampleAccuracy").size());
        assertEquals(result.metrics().valAccuracy(), val.get(4).asDouble(), "the same images, the same network");
        int best = m.at("/curves/bestEpoch").asInt();
        for (JsonNode v : val) {
            assertTrue(v.asDouble() <= val.get(best - 1).asDouble(), "epoch " + best + " has the best validation accuracy");
        }
        assertTrue(m.at("/curves/valLoss").get(4).asDouble() < m.at("/curves/valLoss").get(0).asDouble(),
                "validation loss falls over 5 epochs");

        ComputationGraph reloaded = ModelSerializer.restoreComputationGraph(out.resolve("model.zip").toFile(), true);
        INDArray x = InMemoryIterator.inOrder(RealData.cifar2().test(), Normalization.CIFAR, 200).next().getFeatures();
        // The same kernels as the trained graph (cnnlab's oneDNN helpers), so the same bits.
        assertBitwiseEquals(result.graph().outputSingle(x), Backend.accelerate(reloaded).outputSingle(x),
                "reloaded model's outputs");
        assertEquals(result.metrics().valAccuracy(), Trainer.accuracy(reloaded, RealData.cifar2().test(), 64));
        try (var files = Files.list(out)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temp files left");
        }
    }
}
