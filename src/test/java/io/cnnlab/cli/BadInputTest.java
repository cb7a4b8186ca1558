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

    @BeforeAll
    static void fixtures() throws Exception {
        tree = TestImages.tree(tmp.resolve("tree"), new String[] {"airplane", "bird"}, 2, 1);
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
            Arguments.of("unknown option", new String[] {"train", "--epoch", "3"}, "Unknown options: '--epoch'"),
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
