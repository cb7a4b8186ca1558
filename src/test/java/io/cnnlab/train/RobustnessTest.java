package io.cnnlab.train;

import io.cnnlab.inference.ModelFiles;
import io.cnnlab.util.RunLock;
import io.cnnlab.UserException;
import io.cnnlab.cli.Main;
import io.cnnlab.data.ArchiveEntries;
import io.cnnlab.data.CifarData;
import io.cnnlab.data.DataSources;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.deeplearning4j.optimize.api.TrainingListener;
import io.cnnlab.data.SafeExtractor;
import io.cnnlab.testing.TestImages;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RobustnessTest {
    @TempDir
    Path tmp;

    /** A .tar.gz with one regular file {@code good.txt} and one hostile entry made by {@code hostile}. */
    private Path tarWith(String name, java.util.function.Consumer<TarArchiveOutputStream> hostile) throws IOException {
        Path archive = tmp.resolve(name + ".tar.gz");
        try (OutputStream os = Files.newOutputStream(archive);
             TarArchiveOutputStream tar = new TarArchiveOutputStream(new GzipCompressorOutputStream(os))) {
            byte[] good = "fine".getBytes(StandardCharsets.US_ASCII);
            TarArchiveEntry e = new TarArchiveEntry("good.txt");
            e.setSize(good.length);
            tar.putArchiveEntry(e);
            tar.write(good);
            tar.closeArchiveEntry();
            hostile.accept(tar);
        }
        return archive;
    }

    private static void file(TarArchiveOutputStream tar, String name) {
        try {
            byte[] evil = "evil".getBytes(StandardCharsets.US_ASCII);
            TarArchiveEntry e = new TarArchiveEntry(name, true);
            e.setSize(evil.length);
            tar.putArchiveEntry(e);
            tar.write(evil);
            tar.closeArchiveEntry();
        } catch (IOException ex) {
            throw new IllegalStateException(ex);
        }
    }

    private static void symlink(TarArchiveOutputStream tar, String name, String target) {
        try {
            TarArchiveEntry e = new TarArchiveEntry(name, TarArchiveEntry.LF_SYMLINK);
            e.setLinkName(target);
            tar.putArchiveEntry(e);
            tar.closeArchiveEntry();
        } catch (IOException ex) {
            throw new IllegalStateException(ex);
        }
    }

    private void assertRejected(Path archive, String expected) throws IOException {
        Path target = tmp.resolve("out/extracted");
        UserException e = assertThrows(UserException.class,
                () -> SafeExtractor.extractTarGz(archive, target, ArchiveEntries.Limits.DEFAULT));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertFalse(Files.exists(target), "nothing extracted");
        try (var left = Files.list(tmp.resolve("out"))) {
            assertEquals(0, left.count(), "no temporary folder left");
        }
        assertFalse(Files.exists(tmp.resolve("evil.txt")));
        assertFalse(Files.exists(tmp.resolve("out/evil.txt")));
    }

    @Test
    void extractionRejectsDotDotAbsoluteAndOutwardLinks() throws IOException {
        assertRejected(tarWith("dotdot", t -> file(t, "../../evil.txt")), "outside its folder");
        assertRejected(tarWith("absolute", t -> file(t, tmp.resolve("evil.txt").toString())), "outside its folder");
        assertRejected(tarWith("link", t -> symlink(t, "link", "../../../etc")), "pointing outside");
    }

    @Test
    void extractionIsBoundedAndAtomic() throws IOException {
        Path archive = tarWith("many", t -> file(t, "second.txt"));
        Path target = tmp.resolve("out/extracted");
        UserException e = assertThrows(UserException.class,
                () -> SafeExtractor.extractTarGz(archive, target, new ArchiveEntries.Limits(1 << 20, 1)));
        assertTrue(e.getMessage().contains("more than 1 entries"), e.getMessage());
        assertFalse(Files.exists(target));

        assertThrows(UserException.class, () -> SafeExtractor.extractTarGz(archive, target, new ArchiveEntries.Limits(6, 10)));
        assertFalse(Files.exists(target));

        SafeExtractor.extractTarGz(archive, target, ArchiveEntries.Limits.DEFAULT);
        assertEquals("fine", Files.readString(target.resolve("good.txt")));
    }

    @Test
    void modelZipsThatCouldRunCodeOrAreBrokenAreRefused() throws IOException {
        Path evil = tmp.resolve("evil.zip");
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(evil))) {
            z.putNextEntry(new ZipEntry("configuration.json"));
            z.write("{}".getBytes(StandardCharsets.US_ASCII));
            z.putNextEntry(new ZipEntry("preprocessor.bin"));
            z.write(new byte[] {(byte) 0xAC, (byte) 0xED, 0, 5});
        }
        UserException e = assertThrows(UserException.class, () -> ModelFiles.load(evil, false));
        assertTrue(e.getMessage().contains("'preprocessor.bin'"), e.getMessage());

        Path notZip = Files.writeString(tmp.resolve("model.zip"), "hello");
        assertTrue(assertThrows(UserException.class, () -> ModelFiles.load(notZip, false)).getMessage().contains("not a zip"));

        Path noConfig = tmp.resolve("empty.zip");
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(noConfig))) {
            z.putNextEntry(new ZipEntry("coefficients.bin"));
            z.write(new byte[] {1, 2, 3});
        }
        assertTrue(assertThrows(UserException.class, () -> ModelFiles.load(noConfig, false)).getMessage()
                .contains("not a DL4J model zip"));

        Path badConfig = tmp.resolve("bad.zip");
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(badConfig))) {
            z.putNextEntry(new ZipEntry("configuration.json"));
            z.write("{\"vertices\": 42}".getBytes(StandardCharsets.US_ASCII));
        }
        assertTrue(assertThrows(UserException.class, () -> ModelFiles.load(badConfig, false)).getMessage()
                .contains("corrupt"));
    }

    @Test
    void secondProcessOnTheSameRunFolderIsRefused() {
        try (RunLock first = RunLock.acquire(tmp.resolve("run"))) {
            UserException e = assertThrows(UserException.class, () -> RunLock.acquire(tmp.resolve("run")));
            assertTrue(e.getMessage().contains("pid " + ProcessHandle.current().pid()), e.getMessage());
        }
        RunLock.acquire(tmp.resolve("run")).close();
    }

    @Test
    void divergenceStopsWithEpochIterationAndLearningRateAndExitCode3() throws IOException {
        Path tree = TestImages.tree(tmp.resolve("tree"), new String[] {"airplane", "bird"}, 64, 4);
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream saved = System.err;
        System.setErr(new PrintStream(err, true));
        int code;
        try {
            code = Main.run("train", "--arch", "skip", "--epochs", "3", "--lr", "1e20", "--data", tree.toString(),
                    "--out", tmp.resolve("run").toString());
        } finally {
            System.setErr(saved);
        }
        assertEquals(3, code, err.toString());
        assertTrue(err.toString().matches("(?s)cnnlab: training diverged: the loss became (NaN|-?Infinity) in epoch \\d+, "
                + "iteration \\d+, at learning rate 1\\.0E20.*"), err.toString());
        assertFalse(Files.exists(tmp.resolve("run/model.zip")), "no model from a diverged run");
    }

    /** NaN injected into a weight during epoch 2: the guard names the spot and epoch 1's checkpoint survives. */
    @Test
    void injectedNaNStopsTrainingAndLeavesTheLastGoodCheckpoint() throws IOException {
        Path tree = TestImages.tree(tmp.resolve("tree"), new String[] {"airplane", "bird"}, 64, 4);
        CifarData data = DataSources.decode(tree);
        Path run = tmp.resolve("run");
        int[] calls = {0};
        TrainingListener poison = new BaseTrainingListener() {
            @Override
            public void iterationDone(Model model, int iteration, int epoch) {
                if (++calls[0] == 3) {          // 2 batches per epoch: after the first batch of epoch 2
                    ((ComputationGraph) model).getLayer("output").params().assign(Float.NaN);
                }
            }
        };
        TrainConfig cfg = new TrainConfig("net", "cifar2", 3, 64, 1e-2, 42, "tree", run, true);
        TrainingStopped e = assertThrows(TrainingStopped.class, () -> new Trainer(new PrintStream(OutputStream.nullOutputStream()))
                .listeners(List.of(poison)).train(cfg, data, "tree", 0));
        assertEquals(TrainingStopped.DIVERGED, e.exitCode());
        assertTrue(e.getMessage().contains("epoch 2, iteration 2, at learning rate 0.01"), e.getMessage());
        Path good = run.resolve("checkpoints/ckpt-00001-000000");
        assertTrue(e.getMessage().contains(good.toString()), e.getMessage());
        assertEquals(1, new Checkpoints(run, 2).list().size());
        assertEquals(1, Checkpoints.readState(good).epochsDone());
        assertFalse(ModelFiles.load(good.resolve("model.zip"), true).params().isNaN().any(), "checkpoint is clean");
    }

    /** A full disk while saving (simulated with a 40 KB file-size limit): clear error, exit 2, no partial file. */
    @Test
    void fullDiskWhileSavingIsAClearErrorAndLeavesNoPartialFile() throws Exception {
        Path tree = TestImages.tree(tmp.resolve("tree"), new String[] {"airplane", "bird"}, 8, 2);
        Path run = tmp.resolve("run");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder("bash", "-c", "ulimit -f 40; exec \"$0\" -cp \"$1\" io.cnnlab.cli.Main "
                + "train --arch net --epochs 1 --data \"$2\" --out \"$3\"", java, System.getProperty("java.class.path"),
                tree.toString(), run.toString()).redirectErrorStream(true);
        pb.environment().put("CNNLAB_HOME", tmp.resolve("home").toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(2, p.waitFor(), out);
        assertTrue(out.contains("cannot write checkpoint") && out.contains("check free disk space"), out);
        try (var files = Files.walk(run)) {
            List<String> names = files.map(f -> run.relativize(f).toString()).filter(n -> !n.isEmpty()).toList();
            assertEquals(List.of(".lock", "checkpoints"), names.stream().sorted().toList(), "only the lock and an empty folder: " + names);
        }
    }
}
