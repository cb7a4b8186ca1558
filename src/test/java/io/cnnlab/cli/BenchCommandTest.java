package io.cnnlab.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cnnlab.testing.Cli;
import io.cnnlab.testing.RealData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code cnnlab bench} on the real CIFAR-2: what it prints and the JSON issue 5 asks for. */
class BenchCommandTest {
    @TempDir
    Path dir;

    @Test
    void timesTheRequestedEpochsAndWritesTheJsonIssue5AsksFor() throws Exception {
        Path json = dir.resolve("bench.json");
        Cli.Result r = Cli.run("bench", "--archs", "net", "--epochs", "2", "--warmup-epochs", "0",
                "--data", RealData.archive().toString(), "--json", json.toString());
        assertEquals(0, r.code(), r.err());
        String line = "net +\\d+\\.\\d\\d s/epoch +\\d+ img/s train +\\d+ img/s infer +peak RSS +\\d+ MB +\\d+ workers?";
        assertTrue(r.out().matches("(?s).*\\n" + line + "\\R.*"), r.out());

        JsonNode doc = new ObjectMapper().readTree(json.toFile());
        assertTrue(doc.get("dataLoadSeconds").asDouble() > 0, doc.toString());
        JsonNode net = doc.get("results").get(0);
        assertEquals("net", net.get("arch").asText());
        assertEquals(10_000, net.get("trainImages").asInt());
        assertEquals(0, net.get("warmupEpochs").asInt());
        // Exactly the timed epochs; an even count's median is the mean of the middle two.
        JsonNode epochs = net.get("epochSeconds");
        assertEquals(2, epochs.size());
        double median = (epochs.get(0).asDouble() + epochs.get(1).asDouble()) / 2;
        assertEquals(median, net.get("medianEpochSeconds").asDouble(), 1e-12);
        assertEquals(10_000 / median, net.get("trainImagesPerSecond").asDouble(), 1e-6);
        assertTrue(net.get("inferImagesPerSecond").asDouble() > 0, net.toString());
        assertTrue(net.get("peakRssBytes").asLong() > 100_000_000L, net.toString());
        assertFalse(net.get("backend").asText().isEmpty());
    }

    @Test
    void aNegativeWarmUpIsRefusedWithTheOptionNamed() {
        Path json = dir.resolve("never.json");
        Cli.Result r = Cli.run("bench", "--warmup-epochs", "-1", "--data", RealData.archive().toString(),
                "--json", json.toString());
        assertEquals(2, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("--warmup-epochs must be 0 or more, got -1"), r.err());
        assertFalse(Files.exists(json));
    }
}
