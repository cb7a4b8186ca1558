package io.cnnlab;

import io.cnnlab.helpers.WithoutHelpers;
import io.cnnlab.data.InMemoryIterator;
import io.cnnlab.data.Normalization;
import io.cnnlab.model.Net;
import io.cnnlab.model.ArchitectureBuilder;
import io.cnnlab.model.TorchDefaultInit;
import io.cnnlab.testing.Cli;
import io.cnnlab.testing.RealData;
import io.cnnlab.inference.CnnlabModel;
import io.cnnlab.inference.ModelFiles;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.layers.convolution.ConvolutionLayer;
import org.deeplearning4j.nn.layers.convolution.subsampling.SubsamplingLayer;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.File;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.ZipFile;

import static io.cnnlab.testing.Exact.assertBitwiseEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Model zips written by cnnlab are plain DL4J models: a JVM whose class path holds DL4J and ND4J but
 * none of cnnlab's classes loads them with {@code ModelSerializer} and computes what cnnlab computes.
 */
class PortableModelTest {
    @TempDir
    Path tmp;

    @Test
    void aTrainedModelAndItsCheckpointLoadInAPlainDl4jProgramWithTheSameOutputs() throws Exception {
        Path run = tmp.resolve("run");
        Cli.Result r = Cli.run("train", "--arch", "net", "--epochs", "1", "--data", RealData.archive().toString(),
                "--out", run.toString());
        assertEquals(0, r.code(), r.err());
        Path checkpoint;
        try (Stream<Path> s = Files.list(run.resolve("checkpoints"))) {
            checkpoint = s.filter(p -> p.getFileName().toString().startsWith("ckpt-")).findFirst().orElseThrow()
                    .resolve("model.zip");
        }
        INDArray x = InMemoryIterator.inOrder(RealData.cifar2().test(), Normalization.CIFAR, 50).next().getFeatures();
        Path input = tmp.resolve("input.bin");
        Nd4j.saveBinary(x, input.toFile());

        // cnnlab's own model, on DL4J's built-in layer code, as a program without cnnlab's helpers runs it
        ComputationGraph own = CnnlabModel.load(run.resolve("model.zip")).graph();
        WithoutHelpers.strip(own);
        INDArray expected = own.outputSingle(x);
        for (Path zip : List.of(run.resolve("model.zip"), checkpoint)) {
            assertFalse(configuration(zip).contains("io.cnnlab"), zip + " names no cnnlab class");
            Path output = tmp.resolve("output-" + zip.getParent().getFileName() + ".bin");
            String log = plainDl4j(zip, input, output);
            assertTrue(log.contains("loaded"), log);
            assertBitwiseEquals(expected, Nd4j.readBinary(output.toFile()), zip + ": plain DL4J's outputs");
        }
    }

    @Test
    void initialWeightsAreStillPyTorchsDefaultUniformInPlusMinusOneOverSqrtFanIn() {
        ComputationGraph g = new Net().init();
        // conv1: 3x3x3 inputs, conv2: 16x3x3, fc1: 8*8*8, output: 32
        for (String[] layerAndFanIn : new String[][] {{"conv1", "27"}, {"conv2", "144"}, {"fc1", "512"}, {"output", "32"}}) {
            INDArray w = g.getLayer(layerAndFanIn[0]).getParam("W");
            double bound = 1 / Math.sqrt(Double.parseDouble(layerAndFanIn[1]));
            double max = w.amaxNumber().doubleValue();
            assertTrue(max <= bound && max > 0.9 * bound, layerAndFanIn[0] + ": max |w| " + max + ", bound " + bound);
            assertEquals(0, w.meanNumber().doubleValue(), bound / 5, layerAndFanIn[0] + ": centred");
        }
        assertFalse(g.getConfiguration().toJson().contains("io.cnnlab"), "no cnnlab class in the configuration");
    }

    @Test
    void aZipOfAnEarlierVersionThatNamesTorchDefaultInitStillLoadsInCnnlab() throws Exception {
        // What earlier versions saved: the builder's configuration, before withDl4jInit.
        ComputationGraph old = new ComputationGraph(new Net().graphBuilder().build());
        old.init();
        Path zip = tmp.resolve("old.zip");
        ModelSerializer.writeModel(old, zip.toFile(), false);
        assertTrue(configuration(zip).contains(TorchDefaultInit.class.getName()));
        INDArray x = Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, 2, 3, 32, 32);
        assertBitwiseEquals(old.outputSingle(x), ModelFiles.load(zip, false).outputSingle(x), "reloaded");
        assertTrue(ArchitectureBuilder.withDl4jInit(new Net().graphBuilder().build()).toJson().contains("UniformDistribution"));
    }

    private static String configuration(Path zip) throws Exception {
        try (ZipFile z = new ZipFile(zip.toFile()); InputStream in = z.getInputStream(z.getEntry("configuration.json"))) {
            return new String(in.readAllBytes());
        }
    }

    /** Runs LoadWithPlainDl4j in a JVM whose class path is this one's without cnnlab's classes. */
    private String plainDl4j(Path zip, Path input, Path output) throws Exception {
        String classPath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(e -> !e.endsWith("classes") && !e.endsWith("classes/") && !e.contains("cnnlab.jar"))
                .collect(Collectors.joining(File.pathSeparator));
        assertFalse(classPath.contains("target/classes") || classPath.contains("test-classes"), classPath);
        Path source = tmp.resolve("LoadWithPlainDl4j.java");
        try (InputStream in = getClass().getResourceAsStream("/plain-dl4j/LoadWithPlainDl4j.java")) {
            Files.write(source, in.readAllBytes());
        }
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", classPath, source.toString(), zip.toString(), input.toString(), output.toString()));
        Path log = tmp.resolve("plain-" + System.nanoTime() + ".log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertTrue(p.waitFor(180, TimeUnit.SECONDS), "plain DL4J program finished");
        String text = Files.readString(log);
        assertEquals(0, p.exitValue(), text);
        return text;
    }
}
