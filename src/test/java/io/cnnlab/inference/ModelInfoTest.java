package io.cnnlab.inference;

import io.cnnlab.UserException;
import io.cnnlab.util.Json;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** model.json in both formats: the grouped one cnnlab writes now and the flat one of its first releases. */
class ModelInfoTest {
    @Test
    void theFlatFormatOfEarlierReleasesStillReads() throws Exception {
        String flat = """
                {"format":"cnnlab-model-1","arch":"net","classes":["airplane","bird"],"inputShape":[3,32,32],
                 "channelOrder":"RGB","normalizationMean":[0.4915,0.4823,0.4468],"normalizationStd":[0.247,0.2435,0.2616],
                 "seed":42,"epochs":100,"batchSize":64,"learningRate":0.01,"updater":"SGD","trainableParams":18090,
                 "trainAccuracy":0.9311,"valAccuracy":0.885,"dl4jVersion":"1.0.0-M2.1","cnnlabVersion":"0.1.0-SNAPSHOT"}""";
        ModelInfo info = ModelInfo.read(Json.MAPPER.readTree(flat), "model.json");
        assertEquals(ModelInfo.FORMAT, info.format());
        assertEquals(List.of("airplane", "bird"), info.classes());
        assertEquals(List.of(3, 32, 32), info.input().shape());
        assertArrayEquals(new double[] {0.247, 0.2435, 0.2616}, info.input().normalizationStd());
        assertEquals(new ModelInfo.Training(42, 100, 64, 0.01, "SGD", 18090, 0.9311, 0.885), info.training());
    }

    @Test
    void theCurrentFormatRoundTrips() throws Exception {
        ModelInfo info = new ModelInfo(ModelInfo.FORMAT, "resdeep", List.of("a", "b", "c"), ModelInfo.Input.CIFAR,
                new ModelInfo.Training(7, 3, 32, 0.001, "SGD", 159_330, 0.5, 0.25), "1.0.0-M2.1", "x");
        String json = Json.MAPPER.writeValueAsString(info);
        assertTrue(json.contains("\"input\"") && json.contains("\"training\""), json);
        ModelInfo back = ModelInfo.read(Json.MAPPER.readTree(json), "model.json");
        assertEquals(info.training(), back.training());
        assertEquals(info.classes(), back.classes());
        assertArrayEquals(info.input().normalizationMean(), back.input().normalizationMean());
    }

    @Test
    void anUnknownFormatIsNamed() throws Exception {
        UserException e = assertThrows(UserException.class,
                () -> ModelInfo.read(Json.MAPPER.readTree("{\"format\":\"other-9\"}"), "m.json"));
        assertEquals("m.json has format 'other-9', expected 'cnnlab-model-2' (or 'cnnlab-model-1')", e.getMessage());
    }
}
