package io.cnnlab.cli;

import io.cnnlab.testing.TestImages;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.provider.Arguments;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bad input through the real command line: each case must exit with code 2 and print exactly one
 * line that names the problem, with no stack trace, and must leave no run folder behind.
 */
class BadInputTest {
    @TempDir
    static Path tmp;
    static Path tree;
    static Path profiles;
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private PrintStream savedErr;

    static Path model;
    static int deadPort;

    @BeforeAll
    static void fixtures() throws Exception {
        tree = TestImages.tree(tmp.resolve("tree"), new String[] {"airplane", "bird"}, 2, 1);
        Path binary = TestImages.binaryRelease(tmp.resolve("binary"));
        byte[] batch = Files.readAllBytes(binary.resolve("data_batch_2.bin"));
        Files.write(binary.resolve("data_batch_2.bin"), java.util.Arrays.copyOf(batch, batch.length - 7));
        Path docs = Files.createDirectories(tmp.resolve("docs/readme"));
        Files.writeString(docs.resolve("README.txt"), "no images");
        TestImages.tarGz(tmp.resolve("docs"), tmp.resolve("no-images.tar.gz"), "");
        Path corrupt = TestImages.tree(tmp.resolve("corrupt-tree"), new String[] {"airplane", "bird"}, 2, 1);
        Files.write(corrupt.resolve("train/bird/0001.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 0, 0});
        Path big = TestImages.tree(tmp.resolve("big-tree"), new String[] {"airplane", "bird"}, 2, 1);
        Files.write(big.resolve("train/airplane/large.png"), TestImages.png(new java.awt.image.BufferedImage(64, 48,
                java.awt.image.BufferedImage.TYPE_INT_RGB)));
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            deadPort = s.getLocalPort();
        }
        assertEquals(0, Main.run("train", "--arch", "net", "--epochs", "1", "--data", tree.toString(),
                "--out", tmp.resolve("model").toString()));
        model = tmp.resolve("model/model.zip");
        // Zips from other DL4J programs: five outputs and no model.json; a configuration naming a class not on the class path
        Path foreign = Files.createDirectories(tmp.resolve("foreign"));
        org.deeplearning4j.util.ModelSerializer.writeModel(new io.cnnlab.model.Net().numClasses(5).init(),
                foreign.resolve("model.zip").toFile(), false);
        Path custom = Files.createDirectories(tmp.resolve("custom"));
        Files.copy(model.resolveSibling("model.json"), custom.resolve("model.json"));
        TestImages.replaceInZipEntry(model, custom.resolve("model.zip"), "configuration.json",
                "org.nd4j.linalg.activations.impl.ActivationTanH", "com.example.activations.SwishPlus");
        Path broken = Files.createDirectories(tmp.resolve("broken"));
        Files.copy(model.resolveSibling("model.json"), broken.resolve("model.json"));
        Files.write(broken.resolve("model.zip"), java.util.Arrays.copyOf(Files.readAllBytes(model), 500));
        Files.writeString(tmp.resolve("photo.jpg"), "this is text, not a JPEG");
        profiles = Files.createDirectories(tmp.resolve("profiles"));
        Files.writeString(profiles.resolve("unknown-key.yaml"), "arch: net\nepochz: 3\n");
        Files.writeString(profiles.resolve("wrong-type.yaml"), "arch: net\nepochs: ten\n");
        Files.writeString(tmp.resolve("a-file"), "not a folder");
        Files.write(tmp.resolve("truncated.tar.gz"),
                java.util.Arrays.copyOf(Files.readAllBytes(TestImages.tarGz(tree, tmp.resolve("whole.tar.gz"), "")), 300));
    }

    @BeforeEach
    void captureErr() {
        savedErr = System.err;
        System.setErr(new PrintStream(err, true));
    }

    @AfterEach
    void restoreErr() {
        System.setErr(savedErr);
    }

    static Stream<Arguments> cases() {
        String data = "--data=" + tree;
        String out = "--out=" + tmp.resolve("run");
        return Stream.of(
            Arguments.of("unknown architecture", new String[] {"train", "--arch", "lenet", data, out}, "unknown architecture 'lenet'"),
            Arguments.of("unknown dataset", new String[] {"train", "--dataset", "mnist", data, out}, "unknown dataset 'mnist'"),
            Arguments.of("missing data path", new String[] {"train", "--data", tmp.resolve("nope").toString(), out}, "does not exist"),
            Arguments.of("zero epochs", new String[] {"train", "--epochs", "0", data, out}, "epochs must be a positive"),
            Arguments.of("negative epochs", new String[] {"train", "--epochs", "-3", data, out}, "epochs must be a positive"),
            Arguments.of("epochs not a number", new String[] {"train", "--epochs", "ten", data, out}, "'ten' is not an int"),
            Arguments.of("zero batch size", new String[] {"train", "--batch-size", "0", data, out}, "batch size must be a positive"),
            Arguments.of("negative lr", new String[] {"train", "--lr", "-0.1", data, out}, "learning rate must be a positive"),
            Arguments.of("lr not a number", new String[] {"train", "--lr", "fast", data, out}, "'fast' is not a double"),
            Arguments.of("unknown profile key", new String[] {"train", "--profile", profiles.resolve("unknown-key.yaml").toString(), data, out}, "unknown key 'epochz'"),
            Arguments.of("wrong profile value type", new String[] {"train", "--profile", profiles.resolve("wrong-type.yaml").toString(), data, out}, "'epochs' must be a whole number"),
            Arguments.of("image tree lacking a class", new String[] {"train", "--dataset", "airplane,ship", data, out}, "no class 'ship'"),
            Arguments.of("truncated archive", new String[] {"train", "--data", tmp.resolve("truncated.tar.gz").toString(), out}, "corrupt or truncated"),
            Arguments.of("out folder not writable", new String[] {"train", "--epochs", "1", data, "--out", tmp.resolve("a-file/run").toString()}, "cannot write to out folder"),
            Arguments.of("truncated binary batch", new String[] {"train", "--data", tmp.resolve("binary/cifar-10-batches-bin").toString(), out}, "data_batch_2.bin is truncated"),
            Arguments.of("archive with no images", new String[] {"train", "--data", tmp.resolve("no-images.tar.gz").toString(), out}, "no images found"),
            Arguments.of("corrupt image", new String[] {"train", "--data", tmp.resolve("corrupt-tree").toString(), out}, "train/bird/0001.png"),
            Arguments.of("training image not 32x32", new String[] {"train", "--data", tmp.resolve("big-tree").toString(), out}, "large.png is 64x48"),
            Arguments.of("unreachable URL", new String[] {"train", "--data", "http://127.0.0.1:" + deadPort + "/cifar.tar.gz", out}, "cannot reach"),
            Arguments.of("DL4J zip, no model.json, 5 outputs", new String[] {"predict", "--model", tmp.resolve("foreign/model.zip").toString(), "src/test/resources/images/bird-0.png"}, "5 outputs, so its classes are unknown"),
            Arguments.of("zip naming a class not on the class path", new String[] {"evaluate", "--model", tmp.resolve("custom/model.zip").toString(), data}, "com.example.activations.SwishPlus, which is not on the class path"),
            Arguments.of("corrupt model zip", new String[] {"evaluate", "--model", tmp.resolve("broken/model.zip").toString(), data}, "corrupt"),
            Arguments.of("predict on a non-image", new String[] {"predict", "--model", model.toString(), tmp.resolve("photo.jpg").toString()}, "cannot decode image"),
            Arguments.of("unknown option", new String[] {"train", "--epoch", "3"}, "Unknown options: '--epoch'"),
            Arguments.of("unknown optimizer", new String[] {"train", "--optimizer", "rmsprop", data, out}, "unknown optimizer 'rmsprop'; choose one of sgd, nesterov, adam"),
            Arguments.of("unknown schedule", new String[] {"compare", "--archs", "net", "--schedule", "linear", data, out}, "unknown schedule 'linear'"),
            Arguments.of("odd width for a net that halves it", new String[] {"train", "--arch", "batchnorm", "--width", "33", data, out}, "batchnorm cannot have width 33: NetBatchNorm: baseWidth must be divisible by 2"),
            Arguments.of("zero width", new String[] {"compare", "--archs", "net", "--width", "0", data, out}, "width must be a positive whole number, got 0"),
            Arguments.of("unknown command", new String[] {"trian"}, "Unmatched argument"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void failsWithOneClearLineAndExitCode2(String name, String[] args, String expected) {
        int code = Main.run(args);
        String text = err.toString();
        assertEquals(Main.BAD_INPUT, code, text);
        assertTrue(text.contains(expected), "expected '" + expected + "' in: " + text);
        assertEquals(1, text.strip().lines().count(), "one line: " + text);
        assertFalse(text.contains("\tat "), "no stack trace: " + text);
        assertFalse(Files.exists(tmp.resolve("run")), "no run folder left behind");
    }
}
