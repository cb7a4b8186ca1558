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
    void thePeerRunsOnGlibcsKeepMemoryMallocNotOnTheJemallocCnnlabPreloads() {
        java.util.Map<String, String> env = new java.util.HashMap<>(java.util.Map.of("PATH", "/usr/bin",
                "MALLOC_ARENA_MAX", "2", "LD_PRELOAD", "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2:/opt/libtrace.so"));
        PeerBench.peerEnvironment(env);
        assertEquals("/opt/libtrace.so", env.get("LD_PRELOAD"), "a preload of the user's own stays");
        assertEquals("1073741824", env.get("MALLOC_TRIM_THRESHOLD_"));
        assertEquals("/usr/bin", env.get("PATH"));
        assertFalse(env.containsKey("MALLOC_ARENA_MAX"), "glibc's own arena count, as PyTorch runs by default");
        env.put("LD_PRELOAD", "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2");
        PeerBench.peerEnvironment(env);
        assertFalse(env.containsKey("LD_PRELOAD"), env.toString());
    }

    @Test
    void timesTheRequestedEpochsAndWritesTheJsonIssue5AsksFor() throws Exception {
        Path json = dir.resolve("bench.json");
        // A stand-in for bench/pytorch_notebook.py (no torch needed): it reports what it was asked and how it ran
        Path peer = Files.writeString(dir.resolve("peer.py"), String.join("\n",
                "import os, sys",
                "args = dict(zip(sys.argv[1::2], sys.argv[2::2]))",
                "assert os.environ['MALLOC_TRIM_THRESHOLD_'] == '1073741824', 'malloc keeps memory'",
                "assert (args['--archs'], args['--epochs'], args['--warmup']) == ('net', '2', '0'), args",
                "print('net             2.50 s/epoch  (epochs: 2.40, 2.60)')", ""));
        Cli.Result r = Cli.run("bench", "--archs", "net", "--epochs", "2", "--warmup-epochs", "0",
                "--data", RealData.archive().toString(), "--json", json.toString(),
                "--peer", peer.toString(), "--peer-python", "python3");
        assertEquals(0, r.code(), r.out() + r.err());
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

        assertEquals(2.5, doc.get("peerSecondsPerEpoch").get("net").asDouble());
        String ratio = String.format(java.util.Locale.ROOT, "%.2f", median / 2.5);
        assertTrue(r.out().matches("(?s).*\\nnet +" + String.format(java.util.Locale.ROOT, "%.2f", median)
                + " +2\\.50 +" + ratio.replace(".", "\\.") + "\\R.*"), r.out());
    }

    @Test
    void aPeerScriptThatFailsIsOneLineNamingTheFix() throws Exception {
        Path peer = Files.writeString(dir.resolve("broken.py"), "import torch_that_is_not_here\n");
        Cli.Result r = Cli.run("bench", "--archs", "net", "--epochs", "1", "--data", RealData.archive().toString(),
                "--peer", peer.toString(), "--peer-python", "python3");
        assertEquals(2, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("the --peer script failed with exit code 1") && r.err().contains("python3-torch"),
                r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
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
