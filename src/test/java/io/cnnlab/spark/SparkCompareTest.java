package io.cnnlab.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cnnlab.data.CifarData;
import io.cnnlab.data.LabeledImages;
import io.cnnlab.testing.Exact;
import io.cnnlab.testing.RealData;
import io.cnnlab.testing.TestImages;
import io.cnnlab.util.Json;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * compare on Spark against compare on this machine: the same 2-architecture x 2-seed sweep on real CIFAR-2
 * images (a fifth of them, as PNGs in a .tar.gz that Spark ships to the executors), run locally, on
 * {@code local[2]}, on a real standalone cluster on loopback (a master and two workers, separate JVMs),
 * and on that cluster with one executor killed (SIGKILL) in the middle of a run. Every run folder must
 * equal the local one exactly: settings, per-epoch curves, accuracies, and the model's parameters and
 * updater state (Nesterov momentum) bit for bit. Every JVM here runs with one OpenMP thread per run (OMP_NUM_THREADS=1,
 * {@code --workers 1} locally, spark.task.cpus=1 on Spark), since the parameters' bits depend on it.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SparkCompareTest {
    static final List<String> ARCHS = List.of("net", "skip");
    static final List<Long> SEEDS = List.of(42L, 43L);
    static final int EPOCHS = 6;

    @TempDir
    static Path tmp;
    static Path data;
    static Path local;
    static StandaloneCluster cluster;
    static final Map<String, String> ENV = Map.of("OMP_NUM_THREADS", "1", "SPARK_LOCAL_IP", "127.0.0.1");

    static String[] sweep(Path out, String... more) {
        List<String> a = new ArrayList<>(List.of("compare", "--archs", String.join(",", ARCHS), "--dataset", "cifar2",
                "--epochs", Integer.toString(EPOCHS), "--seeds", Integer.toString(SEEDS.size()), "--data", data.toString(),
                "--out", out.toString(), "--optimizer", "nesterov"));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    @BeforeAll
    static void sweepLocally() throws Exception {
        data = realSubset(tmp.resolve("cifar2-fifth"), tmp.resolve("cifar2-fifth.tar.gz"));
        local = tmp.resolve("local");
        Path log = tmp.resolve("local.log");
        assertEquals(0, Jvm.cnnlab(log, ENV, sweep(local, "--workers", "1")), Files.readString(log));
    }

    @AfterAll
    static void stopEverything() {
        Jvm.stopAll();
    }

    @Test
    @Order(1)
    void localModeGivesTheLocalSweepRunByRun() throws Exception {
        Path out = tmp.resolve("spark-local");
        Path log = tmp.resolve("spark-local.log");
        assertEquals(0, Jvm.cnnlab(log, ENV, sweep(out, "--spark", "local[2]")), Files.readString(log));
        assertSameSweep(local, out);
        JsonNode c = Json.MAPPER.readTree(out.resolve("results.json").toFile()).get("cluster");
        assertEquals("local[2]", c.get("master").asText());
        assertEquals(2, c.get("cores").asInt());
        assertTrue(Files.readString(out.resolve("report.html")).contains("<td>Spark master</td><td>local[2]</td>"));
    }

    @Test
    @Order(2)
    void aStandaloneClusterGivesTheLocalSweepRunByRun() throws Exception {
        cluster = new StandaloneCluster(tmp.resolve("cluster"), 2);
        Path out = tmp.resolve("spark-cluster");
        Path log = tmp.resolve("spark-cluster.log");
        assertEquals(0, Jvm.cnnlab(log, ENV, sweep(out, "--spark", cluster.master)), Files.readString(log));
        assertSameSweep(local, out);
        JsonNode c = Json.MAPPER.readTree(out.resolve("results.json").toFile()).get("cluster");
        assertEquals(cluster.master, c.get("master").asText());
        assertEquals(2, c.get("executors").asInt(), "both workers' executors ran runs: " + Files.readString(log));
        // The same command again reuses every run and starts no Spark.
        byte[] csv = Files.readAllBytes(out.resolve("results.csv"));
        assertEquals(0, Jvm.cnnlab(log, ENV, sweep(out, "--spark", cluster.master)), Files.readString(log));
        String again = Files.readString(log);
        assertEquals(4, again.split("finished earlier", -1).length - 1, again);
        assertTrue(!again.contains("starting Spark"), again);
        assertEquals(new String(csv), Files.readString(out.resolve("results.csv")));
    }

    @Test
    @Order(3)
    void aRunWhoseExecutorIsKilledResumesFromItsCheckpointAndTheSweepIsUnchanged() throws Exception {
        assertTrue(cluster != null, "the cluster test ran first");
        Path out = tmp.resolve("spark-killed");
        Path ckpt = tmp.resolve("shared-checkpoints");
        Path log = tmp.resolve("spark-killed.log");
        Process driver = Jvm.start(log, ENV, "io.cnnlab.cli.Main",
                sweep(out, "--spark", cluster.master, "--checkpoint-dir", ckpt.toString()));
        // The executor that holds a run past its first checkpoint (the run folder's lock names its PID).
        long victim = awaitRunMidway(ckpt, driver, log);
        assertTrue(StandaloneCluster.isExecutor(victim), "pid " + victim + " is an executor");
        new ProcessBuilder("kill", "-KILL", Long.toString(victim)).start().waitFor();
        assertTrue(driver.waitFor(5, TimeUnit.MINUTES), "the sweep ends");
        String output = Files.readString(log);
        assertEquals(0, driver.exitValue(), output);
        assertTrue(output.matches("(?s).*finished on executor .*attempt 2, resumed at epoch [2-6].*"), output);
        assertSameSweep(local, out);
    }

    @Test
    @Order(4)
    void aClusterWithoutEnoughMemoryPerExecutorIsOneLineAndLeavesNoResults() throws Exception {
        assertTrue(cluster != null, "the cluster test ran first");
        Path out = tmp.resolve("spark-no-memory");
        Path log = tmp.resolve("spark-no-memory.log");
        // The workers offer 2 GB each; an executor of 8 GB fits on none, and the master would wait for ever.
        int code = Jvm.cnnlab(log, ENV, sweep(out, "--spark", cluster.master, "--spark-conf", "spark.executor.memory=8g",
                "--spark-conf", SparkCompare.EXECUTOR_WAIT + "=15"));
        String output = Files.readString(log);
        assertEquals(2, code, output);
        List<String> errors = output.lines().filter(l -> l.contains("started no executor")).toList();
        assertEquals(1, errors.size(), output);
        assertTrue(errors.get(0).contains("spark.executor.memory=8g") && errors.get(0).contains("lower --spark-conf"
                + " spark.executor.memory, or add workers"), errors.get(0));
        assertFalse(output.contains("\tat "), "no stack trace: " + output);
        assertFalse(Files.exists(out), "no --out folder");
    }

    /** Waits for a run folder in {@code ckpt} with a checkpoint and no metrics; returns the PID holding it. */
    private static long awaitRunMidway(Path ckpt, Process driver, Path log) throws Exception {
        long deadline = System.nanoTime() + 300_000_000_000L;
        while (System.nanoTime() < deadline && driver.isAlive()) {
            for (String arch : ARCHS) {
                for (long seed : SEEDS) {
                    Path run = ckpt.resolve(arch).resolve("seed-" + seed);
                    Path checkpoints = run.resolve("checkpoints");
                    if (Files.isDirectory(checkpoints) && !Files.exists(run.resolve("metrics.json"))) {
                        try (Stream<Path> s = Files.list(checkpoints)) {
                            // a finished checkpoint (one being written is a hidden temporary folder)
                            if (s.anyMatch(c -> c.getFileName().toString().startsWith("ckpt-"))) {
                                return Long.parseLong(Files.readString(run.resolve(".lock")).strip());
                            }
                        }
                    }
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no run reached its first checkpoint:\n" + Files.readString(log));
    }

    /** Every run folder of the sweep equal: files, settings, curves (not the seconds), accuracies, model bits. */
    static void assertSameSweep(Path expected, Path actual) throws Exception {
        for (String arch : ARCHS) {
            for (long seed : SEEDS) {
                Path e = expected.resolve(arch).resolve("seed-" + seed);
                Path a = actual.resolve(arch).resolve("seed-" + seed);
                String run = arch + " seed " + seed;
                for (String f : SparkCompare.RUN_FILES) {
                    assertTrue(Files.isRegularFile(a.resolve(f)), run + ": " + f);
                }
                assertEquals(withoutTimes(e.resolve("metrics.json")), withoutTimes(a.resolve("metrics.json")), run + " metrics");
                assertEquals(Json.MAPPER.readTree(e.resolve("model.json").toFile()),
                        Json.MAPPER.readTree(a.resolve("model.json").toFile()), run + " model.json");
                ComputationGraph me = ModelSerializer.restoreComputationGraph(e.resolve("model.zip").toFile(), true);
                ComputationGraph ma = ModelSerializer.restoreComputationGraph(a.resolve("model.zip").toFile(), true);
                Exact.assertBitwiseEquals(me.params(), ma.params(), run + " parameters");
                INDArray se = me.getUpdater().getStateViewArray();
                INDArray sa = ma.getUpdater().getStateViewArray();
                assertEquals(se == null, sa == null, run + " updater state (none for plain SGD)");
                if (se != null) {
                    Exact.assertBitwiseEquals(se, sa, run + " updater state");
                }
            }
        }
        List<String> e = Files.readAllLines(expected.resolve("results.csv"));
        List<String> a = Files.readAllLines(actual.resolve("results.csv"));
        assertEquals(e.size(), a.size());
        for (int i = 0; i < e.size(); i++) { // every column but the last, seconds per epoch
            assertEquals(e.get(i).substring(0, e.get(i).lastIndexOf(',')), a.get(i).substring(0, a.get(i).lastIndexOf(',')));
        }
    }

    private static JsonNode withoutTimes(Path metrics) throws Exception {
        ObjectNode m = (ObjectNode) Json.MAPPER.readTree(metrics.toFile());
        m.remove("environment");
        ((ObjectNode) m.get("curves")).remove("epochSeconds");
        return m;
    }

    /** A fifth of real CIFAR-2 (2,000 train, 400 test images) as a PNG tree in a .tar.gz. */
    static Path realSubset(Path dir, Path archive) throws Exception {
        CifarData c2 = RealData.cifar2();
        write(c2.train().everyNth(5), dir.resolve("train"));
        write(c2.test().everyNth(5), dir.resolve("test"));
        return TestImages.tarGz(dir, archive, "");
    }

    private static void write(LabeledImages images, Path dir) throws Exception {
        for (int i = 0; i < images.size(); i++) {
            BufferedImage img = new BufferedImage(LabeledImages.SIDE, LabeledImages.SIDE, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < LabeledImages.SIDE; y++) {
                for (int x = 0; x < LabeledImages.SIDE; x++) {
                    img.setRGB(x, y, images.pixel(i, 0, y, x) << 16 | images.pixel(i, 1, y, x) << 8 | images.pixel(i, 2, y, x));
                }
            }
            Path f = Files.createDirectories(dir.resolve(images.classNames().get(images.label(i))))
                    .resolve(String.format("%05d.png", i));
            ImageIO.write(img, "png", f.toFile());
        }
    }

}
