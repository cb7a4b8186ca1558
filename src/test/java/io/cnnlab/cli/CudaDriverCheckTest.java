package io.cnnlab.cli;

import io.cnnlab.testing.RealData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CUDA build's start-up where there is no NVIDIA driver, without the 2.5 GB CUDA download: a child
 * JVM whose class path is cnnlab's minus ND4J's CPU backend, plus a service file declaring ND4J's CUDA
 * backend (what nd4j-cuda-11.6 brings), on a machine view without libcuda.so.1.
 */
class CudaDriverCheckTest {
    @TempDir
    Path tmp;

    @Test
    void theCudaBuildWithoutADriverSaysSoInOneLineAndExits2() throws Exception {
        Path services = Files.createDirectories(tmp.resolve("cuda/META-INF/services"));
        Files.writeString(services.resolve("org.nd4j.linalg.factory.Nd4jBackend"), "org.nd4j.linalg.jcublas.JCublasBackend\n");
        String classPath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(e -> !Path.of(e).getFileName().toString().startsWith("nd4j-native"))
                .collect(Collectors.joining(File.pathSeparator)) + File.pathSeparator + tmp.resolve("cuda");
        Path noDriver = Files.createDirectories(tmp.resolve("lib"));
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dcnnlab.systemLibraryDirs=" + noDriver, "-cp", classPath, "io.cnnlab.cli.Main",
                "train", "--epochs", "1", "--data", RealData.archive().toString(), "--out", tmp.resolve("run").toString())
                .redirectError(tmp.resolve("err.txt").toFile()).redirectOutput(tmp.resolve("out.txt").toFile());
        pb.environment().remove("LD_LIBRARY_PATH");
        pb.environment().put("CNNLAB_HOME", tmp.resolve("home").toString());
        Process p = pb.start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "exits");
        List<String> err = Files.readAllLines(tmp.resolve("err.txt"));
        assertEquals(2, p.exitValue(), String.join("\n", err));
        assertEquals(1, err.size(), "one line: " + err);
        assertTrue(err.get(0).startsWith("cnnlab: this is cnnlab's CUDA build (-Pcuda)") && err.get(0).contains("libcuda.so.1")
                && err.get(0).contains("build without -Pcuda"), err.get(0));
        assertTrue(!Files.exists(tmp.resolve("run")), "nothing written");
    }
}
