package io.cnnlab.train;

import io.cnnlab.util.Json;
import com.fasterxml.jackson.databind.JsonNode;
import io.cnnlab.data.BinaryCifarReader;
import io.cnnlab.data.CifarData;
import io.cnnlab.data.LabeledImages;
import io.cnnlab.testing.RealData;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A run killed (SIGKILL) or interrupted (SIGINT) mid-training and resumed must end exactly like an
 * uninterrupted run with the same seed: same per-epoch losses, same accuracies, bit for bit. Each run
 * is the real command line in its own JVM, on a 2,400-image CIFAR-2 subset (`dropout`, so the dropout
 * masks' random numbers must be restored too).
 */
class ResumeTest {
    @TempDir
    static Path tmp;
    static Path subset;
    static JsonNode reference;

    @BeforeAll
    static void subsetAndReference() throws Exception {
        CifarData cifar2 = RealData.cifar2();
        subset = Files.createDirectories(tmp.resolve("subset"));
        Files.write(subset.resolve("data_batch_1.bin"), records(cifar2.train(), 2000));
        Files.write(subset.resolve("test_batch.bin"), records(cifar2.test(), 400));
        Files.writeString(subset.resolve("batches.meta.txt"), "airplane\nbird\n");
        Process p = cnnlab("train", "--out", tmp.resolve("reference").toString());
        assertEquals(0, p.waitFor(), output(p));
        reference = metrics(tmp.resolve("reference"));
    }

    private static byte[] records(LabeledImages images, int n) {
        byte[] out = new byte[n * BinaryCifarReader.RECORD];
        for (int i = 0; i < n; i++) {
            out[i * BinaryCifarReader.RECORD] = (byte) images.label(i);
            System.arraycopy(images.pixels(), i * LabeledImages.IMAGE_BYTES, out, i * BinaryCifarReader.RECORD + 1,
                    LabeledImages.IMAGE_BYTES);
        }
        return out;
    }

    private static Process cnnlab(String... args) throws IOException {
        return cnnlab(List.of(), args);
    }

    /**
     * cnnlab in a child JVM, its command line after {@code prefix}. The {@code train} runs get this class's
     * small defaults unless {@code args} set them.
     */
    private static Process cnnlab(List<String> prefix, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "io.cnnlab.cli.Main"));
        cmd.addAll(List.of(args));
        if (args[0].equals("train") && !List.of(args).contains("--resume")) {
            List<String> defaults = List.of("--arch", "dropout", "--dataset", "cifar2", "--epochs", "4", "--seed", "7",
                    "--data", subset.toString());
            for (int i = 0; i < defaults.size(); i += 2) {
                if (!List.of(args).contains(defaults.get(i))) {
                    cmd.addAll(defaults.subList(i, i + 2));
                }
            }
        }
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(tmp.resolve("log-" + System.nanoTime() + ".txt").toFile());
        pb.environment().put("CNNLAB_HOME", tmp.resolve("home").toString());
        Process p = pb.start();
        logs.put(p, pb.redirectOutput().file().toPath());
        return p;
    }

    private static final java.util.Map<Process, Path> logs = new java.util.concurrent.ConcurrentHashMap<>();

    private static String output(Process p) throws IOException {
        return Files.readString(logs.get(p));
    }

    private static JsonNode metrics(Path run) throws IOException {
        return Json.MAPPER.readTree(run.resolve("metrics.json").toFile());
    }

    /** Waits until the run has a checkpoint past epoch {@code epochs}, then a little into the next epoch. */
    private static void awaitCheckpoint(Path run, int epochs, Process p) throws Exception {
        String name = String.format("ckpt-%05d-", epochs);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline && p.isAlive()) {
            Path dir = run.resolve("checkpoints");
            if (Files.isDirectory(dir)) {
                try (var s = Files.list(dir)) {
                    if (s.anyMatch(c -> c.getFileName().toString().startsWith(name))) {
                        Thread.sleep(250);
                        return;
                    }
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no checkpoint after epoch " + epochs + ": " + output(p));
    }

    private static void assertSameRun(JsonNode resumed) {
        for (String curve : new String[] {"trainLoss", "valAccuracy", "valLoss", "trainSampleAccuracy", "bestEpoch"}) {
            JsonNode expected = reference.at("/curves/" + curve);
            assertFalse(expected.isMissingNode(), curve + " is recorded");
            assertEquals(expected, resumed.at("/curves/" + curve), "per-epoch " + curve);
        }
        assertEquals(4, reference.at("/curves/valAccuracy").size(), "an evaluation after every epoch");
        assertEquals(reference.get("trainAccuracy").asDouble(), resumed.get("trainAccuracy").asDouble());
        assertEquals(reference.get("valAccuracy").asDouble(), resumed.get("valAccuracy").asDouble());
        assertEquals(4, resumed.at("/curves/epochSeconds").size());
    }

    @Test
    void sigkillMidEpochThenResumeEndsLikeTheUninterruptedRun() throws Exception {
        Path run = tmp.resolve("killed");
        Process p = cnnlab("train", "--out", run.toString());
        awaitCheckpoint(run, 1, p);
        p.destroyForcibly().waitFor();   // SIGKILL
        assertTrue(!Files.exists(run.resolve("metrics.json")), "killed before the end");

        Process r = cnnlab("train", "--resume", run.toString());
        assertEquals(0, r.waitFor(), output(r));
        assertTrue(output(r).contains("resuming from"), output(r));
        assertSameRun(metrics(run));
    }

    @Test
    void aSecondProcessOnTheSameRunFolderIsRefused() throws Exception {
        Path run = tmp.resolve("shared-folder");
        Process first = cnnlab("train", "--out", run.toString(), "--epochs", "40");   // still running when the second starts
        awaitCheckpoint(run, 1, first);
        Process second = cnnlab("train", "--out", run.toString());
        assertEquals(2, second.waitFor(), output(second));
        assertTrue(output(second).contains("another cnnlab process (pid " + first.pid() + ")"), output(second));
        first.destroyForcibly().waitFor();
    }

    @Test
    void sigintSavesACheckpointExplainsHowToResumeAndExits130() throws Exception {
        Path run = tmp.resolve("interrupted");
        // A shell that started the build in the background (nohup, &) leaves SIGINT ignored, and an ignored
        // signal stays ignored in every child; coreutils' env restores the default, as a terminal has it.
        Process p = cnnlab(List.of("env", "--default-signal=INT"), "train", "--out", run.toString());
        awaitCheckpoint(run, 1, p);
        new ProcessBuilder("bash", "-c", "kill -INT " + p.pid()).start().waitFor();   // SIGINT, as Ctrl-C
        assertEquals(130, p.waitFor(), output(p));
        assertTrue(output(p).contains("Resume with: cnnlab train --resume " + run), output(p));

        Process r = cnnlab("train", "--resume", run.toString());
        assertEquals(0, r.waitFor(), output(r));
        assertSameRun(metrics(run));
        try (var s = Files.list(run.resolve("checkpoints"))) {
            assertEquals(2, s.count(), "keeps the last 2 checkpoints");
        }
    }
}
