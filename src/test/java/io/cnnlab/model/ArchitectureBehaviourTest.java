package io.cnnlab.model;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;

import static io.cnnlab.testing.Exact.assertBitwiseEquals;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ArchitectureBehaviourTest {

    static List<String> archs() {
        return Architectures.names();
    }

    private static INDArray batch(int n) {
        Nd4j.getRandom().setSeed(3);
        return Nd4j.randn(DataType.FLOAT, n, 3, 32, 32);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("archs")
    void forwardPassGivesOneProbabilityRowPerImage(String arch) {
        for (int classes : new int[] {2, 10}) {
            ComputationGraph g = Architectures.get(arch).create().numClasses(classes).init();
            INDArray out = g.outputSingle(batch(5));
            assertArrayEquals(new long[] {5, classes}, out.shape());
            INDArray rowSums = out.sum(1);
            for (int i = 0; i < 5; i++) {
                assertEquals(1.0, rowSums.getDouble(i), 1e-5);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("archs")
    void configurationRoundTripsThroughJson(String arch) {
        ComputationGraphConfiguration conf = Architectures.get(arch).create().conf();
        assertEquals(conf, ComputationGraphConfiguration.fromJson(conf.toJson()));
    }

    @Test
    void dropoutIsActiveInTrainingOnly() {
        ComputationGraph g = new NetDropout().init();
        INDArray x = batch(8);
        INDArray eval1 = g.output(false, x)[0];
        INDArray eval2 = g.output(false, x)[0];
        assertEquals(eval1, eval2, "inference is deterministic");
        INDArray train1 = g.output(true, x)[0];
        INDArray train2 = g.output(true, x)[0];
        assertNotEquals(train1, train2, "training drops random channels");
        assertNotEquals(eval1, train1);
    }

    @Test
    void dropoutTakesPyTorchsDropProbability() {
        var vertex = (org.deeplearning4j.nn.conf.graph.LayerVertex) new NetDropout().conf().getVertices().get("conv1_dropout");
        var layer = (org.deeplearning4j.nn.conf.layers.DropoutLayer) vertex.getLayerConf().getLayer();
        var spatial = (org.deeplearning4j.nn.conf.dropout.SpatialDropout) layer.getIDropout();
        assertEquals(0.6, spatial.getP(), 1e-12, "PyTorch p=0.4 drops 40%: DL4J retains 60%");
    }

    @Test
    void batchNormUsesBatchStatisticsInTrainingAndRunningStatisticsInInference() {
        for (String[] archAndBn : new String[][] {{"batchnorm", "conv1_bn"}, {"resdeep", "res1_conv_bn"},
            {"bottleneck", "res1_expand_bn"}}) {
            String arch = archAndBn[0];
            ComputationGraph g = Architectures.get(arch).create().init();
            INDArray x = batch(16);
            assertNotEquals(g.output(true, x)[0], g.output(false, x)[0], arch);
            INDArray runningMeanBefore = g.getLayer(archAndBn[1]).getParam("mean").dup();
            g.fit(new DataSet(x, Nd4j.eye(2).getRows(new int[16]).castTo(DataType.FLOAT)));
            assertNotEquals(runningMeanBefore, g.getLayer(archAndBn[1]).getParam("mean"), arch + ": running mean updated by training");
        }
        ComputationGraph plain = new Net().init();
        INDArray x = batch(4);
        assertBitwiseEquals(plain.output(true, x)[0], plain.output(false, x)[0], "net has no train-only behaviour");
    }

    @Test
    void resBlocksHaveIndependentWeights() {
        ComputationGraph g = new NetResDeep().init();
        INDArray w1 = g.getLayer("res1_conv").getParam("W");
        INDArray w2Before = g.getLayer("res2_conv").getParam("W").dup();
        assertNotEquals(w1, w2Before, "initialised independently");
        w1.assign(0);
        assertEquals(w2Before, g.getLayer("res2_conv").getParam("W"), "changing block 1 leaves block 2 alone");
        for (int i = 2; i <= 10; i++) {
            assertTrue(g.getLayer("res" + i + "_conv").getParam("W").amaxNumber().doubleValue() > 0, "block " + i);
        }
    }

    @Test
    void resBlockStartsAsTheNotebookSays() {
        ComputationGraph g = new NetResDeep().init();
        assertEquals(0.5, g.getLayer("res4_conv_bn").getParam("gamma").meanNumber().doubleValue(), 0);
        assertEquals(0.0, g.getLayer("res4_conv_bn").getParam("beta").amaxNumber().doubleValue(), 0);
        assertEquals(null, g.getLayer("res4_conv").getParam("b"), "conv without bias");
        // kaiming normal (relu): std sqrt(2 / fan_in) = sqrt(2 / (32 * 9))
        double std = g.getLayer("res4_conv").getParam("W").stdNumber().doubleValue();
        assertEquals(Math.sqrt(2.0 / 288), std, 0.005);
    }

    @Test
    void weightsAndBiasesStartLikePyTorch() {
        ComputationGraph g = new Net().init();
        double bound = 1 / Math.sqrt(16 * 9);
        for (String p : new String[] {"W", "b"}) {
            INDArray a = g.getLayer("conv2").getParam(p);
            assertTrue(a.amaxNumber().doubleValue() <= bound, p + " within ±1/sqrt(fan_in)");
            assertTrue(a.amaxNumber().doubleValue() > bound * 0.8, p + " spread over the range");
        }
    }

    @Test
    void buildRejectsImpossibleSettings() {
        assertThrows(IllegalArgumentException.class, () -> new Net().numClasses(1).conf());
        assertThrows(IllegalArgumentException.class, () -> new NetWidthEmbed().baseWidth(30).conf());
        assertThrows(IllegalArgumentException.class, () -> new NetResDeep().nBlocks(0).conf());
        assertThrows(IllegalArgumentException.class, () -> new NetDropout().dropProbability(1.0).conf());
    }

    @Test
    void graphBuilderCanBeExtended() {
        var g = new Net().graphBuilder();
        g.removeVertex("output");
        g.addLayer("output", new org.deeplearning4j.nn.conf.layers.OutputLayer.Builder()
                .nOut(5).activation(org.nd4j.linalg.activations.Activation.SOFTMAX).build(), "fc1");
        g.setOutputs("output");
        ComputationGraph net = new ComputationGraph(g.build());
        net.init();
        assertArrayEquals(new long[] {3, 5}, net.outputSingle(batch(3)).shape());
    }
}
