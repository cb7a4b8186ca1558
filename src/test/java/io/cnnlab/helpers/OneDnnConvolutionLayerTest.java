package io.cnnlab.helpers;

import io.cnnlab.backend.Backend;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.CnnLossLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import static io.cnnlab.helpers.OneDnnConvolutionHelperTest.assertClose;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The convolution layer that computes its activation inside oneDNN's convolution against DL4J's own layer
 * (DL4J's oneDNN helper, no cached pre-activation): the output, the input gradient and the parameter
 * gradients, for each activation it fuses, with and without a bias.
 */
class OneDnnConvolutionLayerTest {

    @BeforeAll
    static void dl4jsOneDnnHelpersOn() {
        Backend.configure();
    }

    @ParameterizedTest(name = "{0}, bias {1}, mode {2}")
    @CsvSource({
        "TANH, true, Truncate", "TANH, false, Truncate", "RELU, true, Truncate", "RELU, false, Same",
        "IDENTITY, false, Truncate", "IDENTITY, true, Same",
    })
    void computesDl4jsForwardAndBackwardPass(Activation act, boolean bias, ConvolutionMode mode) {
        ComputationGraph plain = graph(act, bias, mode);
        ComputationGraph fast = Helpers.accelerate(plain.clone(), true);
        fast.initGradientsView();
        OneDnnConvolutionLayer fused = assertInstanceOf(OneDnnConvolutionLayer.class, fast.getLayer("conv"));
        assertTrue(java.util.Arrays.asList(fast.getLayers()).contains(fused), "in the graph's layer array too");
        Layer dl4j = plain.getLayer("conv");
        Nd4j.getRandom().setSeed(11);
        INDArray x = Nd4j.randn(DataType.FLOAT, 6, 5, 12, 12);
        INDArray eps = Nd4j.randn(DataType.FLOAT, 6, 7, 12, 12);

        assertClose(forward(dl4j, x, false), forward(fused, x, false), act + ": inference output");
        assertTrue(fused.fusedLast(), "the fused primitive ran");
        assertClose(forward(dl4j, x, true), forward(fused, x, true), act + ": training output");
        assertGradientsClose(dl4j.backpropGradient(eps, mgr()), fused.backpropGradient(eps, mgr()), bias, act + "");
        assertTrue(fused.fusedLast(), "the backward pass from the kept output");
    }

    /**
     * A backward pass for another input than the training forward pass's (here set in between) takes DL4J's
     * path: the kept output belongs to the other input.
     */
    @Test
    void theKeptOutputServesTheBackwardPassOfItsOwnInputOnly() {
        ComputationGraph plain = graph(Activation.TANH, true, ConvolutionMode.Truncate);
        ComputationGraph fast = Helpers.accelerate(plain.clone(), true);
        fast.initGradientsView();
        OneDnnConvolutionLayer fused = (OneDnnConvolutionLayer) fast.getLayer("conv");
        Nd4j.getRandom().setSeed(12);
        INDArray x = Nd4j.randn(DataType.FLOAT, 4, 5, 12, 12);
        INDArray other = Nd4j.randn(DataType.FLOAT, 4, 5, 12, 12);
        INDArray eps = Nd4j.randn(DataType.FLOAT, 4, 7, 12, 12);
        forward(plain.getLayer("conv"), other, true);
        var expected = plain.getLayer("conv").backpropGradient(eps, mgr());

        forward(fused, x, true);
        fused.setInput(other, mgr());
        var actual = fused.backpropGradient(eps, mgr());
        assertFalse(fused.fusedLast(), "DL4J's path");
        assertGradientsClose(expected, actual, true, "another input");
    }

    private static void assertGradientsClose(Pair<Gradient, INDArray> expected, Pair<Gradient, INDArray> actual,
                                             boolean bias, String what) {
        assertClose(expected.getSecond(), actual.getSecond(), what + ": input gradient");
        assertClose(expected.getFirst().getGradientFor("W"), actual.getFirst().getGradientFor("W"), what + ": dW");
        if (bias) {
            assertClose(expected.getFirst().getGradientFor("b"), actual.getFirst().getGradientFor("b"), what + ": db");
        }
    }

    private static INDArray forward(Layer layer, INDArray x, boolean training) {
        layer.setInput(x, mgr());
        return layer.activate(training, mgr()).dup();
    }

    private static LayerWorkspaceMgr mgr() {
        return LayerWorkspaceMgr.noWorkspaces();
    }

    /** in (5 channels, 12x12) -> first (a 1x1 convolution, so "conv" computes its input gradient) -> conv -> loss. */
    private static ComputationGraph graph(Activation act, boolean bias, ConvolutionMode mode) {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().dataType(DataType.FLOAT).seed(3)
                .graphBuilder().addInputs("in")
                .addLayer("first", new ConvolutionLayer.Builder(1, 1).nOut(5).activation(Activation.IDENTITY).build(), "in")
                .addLayer("conv", new ConvolutionLayer.Builder(3, 3).padding(mode == ConvolutionMode.Same ? 0 : 1,
                                mode == ConvolutionMode.Same ? 0 : 1).convolutionMode(mode).nOut(7)
                        .hasBias(bias).activation(act).biasInit(0.1).build(), "first")
                .addLayer("loss", new CnnLossLayer.Builder(LossFunctions.LossFunction.MSE).activation(Activation.IDENTITY)
                        .build(), "conv")
                .setOutputs("loss").setInputTypes(InputType.convolutional(12, 12, 5)).build();
        ComputationGraph g = new ComputationGraph(conf);
        g.init();
        g.initGradientsView();
        return g;
    }
}
