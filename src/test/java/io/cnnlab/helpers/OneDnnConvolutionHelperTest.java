package io.cnnlab.helpers;

import io.cnnlab.backend.Backend;
import io.cnnlab.backend.OneDnnIsa;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.convolution.ConvolutionHelper;
import org.deeplearning4j.nn.layers.mkldnn.MKLDNNConvHelper;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The helper against DL4J's built-in convolution (im2col and GEMM, no helper at all): outputs, weight and
 * bias gradients and the input gradient, over the shapes a layer can have, for batch sizes that change from
 * call to call (each has its own cached primitives) and inputs that are views; and that the helper's own
 * primitives ran (Winograd for the 32-channel block where the ISA has it), except where it hands the call to DL4J's helper.
 */
class OneDnnConvolutionHelperTest {
    private static final LayerHelpers HELPERS = new LayerHelpers(org.deeplearning4j.nn.layers.convolution.ConvolutionLayer.class);

    @BeforeAll
    static void dl4jsOneDnnHelpersOn() {
        Backend.configure();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        // case, in channels, out, height, width, kernel h, w, stride, padding, dilation, mode, bias
        "narrow 3x3 pad 1,             4, 6, 9, 9, 3, 3, 1, 1, 1, Truncate, false",
        "resdeep block (Winograd),     32, 32, 16, 16, 3, 3, 1, 1, 1, Truncate, false",
        "first layer with bias,        3, 5, 8, 8, 3, 3, 1, 1, 1, Truncate, true",
        "stride 2 rectangular kernel,  4, 3, 11, 10, 3, 2, 2, 0, 1, Truncate, true",
        "same mode stride 2,           2, 4, 9, 9, 3, 3, 2, 0, 1, Same, true",
        "dilation 2,                   3, 4, 9, 8, 3, 3, 1, 2, 2, Truncate, false",
        "1x1 projection,               6, 2, 5, 5, 1, 1, 1, 0, 1, Truncate, true",
        // truncation cutting off more than the padding: oneDNN cannot express it, DL4J's helper runs it
        "truncation past the padding,  2, 3, 5, 5, 2, 2, 2, 0, 1, Truncate, true",
    })
    void matchesDl4jsOwnConvolution(String name, int in, int out, int h, int w, int kh, int kw, int stride, int pad,
                                    int dilation, ConvolutionMode mode, boolean bias) {
        ConvolutionLayer conf = new ConvolutionLayer.Builder(kh, kw).stride(stride, stride).padding(pad, pad)
                .dilation(dilation, dilation).convolutionMode(mode).nOut(out).hasBias(bias)
                .activation(Activation.IDENTITY).build();
        MultiLayerNetwork reference = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(7)
                .dataType(DataType.FLOAT).list().layer(conf).setInputType(InputType.convolutional(h, w, in)).build());
        reference.init();
        if (bias) {
            reference.getLayer(0).getParam("b").assign(Nd4j.rand(DataType.FLOAT, 1, out));
        }
        MultiLayerNetwork tested = reference.clone();
        reference.initGradientsView();
        tested.initGradientsView();
        Layer ref = reference.getLayer(0);
        Layer fast = tested.getLayer(0);
        HELPERS.set(ref, null);
        ConvolutionHelper dl4j = assertInstanceOf(MKLDNNConvHelper.class, HELPERS.get(fast));
        OneDnnConvolutionHelper helper = new OneDnnConvolutionHelper(dl4j, true, bias);
        HELPERS.set(fast, helper);

        for (int n : new int[] {32, 3, 32}) {
            // a view: every other image of a larger batch
            INDArray x = Nd4j.rand(DataType.FLOAT, 2L * n, in, h, w).get(NDArrayIndex.interval(0, 2, 2L * n));
            Pair<INDArray, Gradient> expected = pass(ref, x);
            Pair<INDArray, Gradient> actual = pass(fast, x);
            assertClose(expected.getFirst(), actual.getFirst(), name + ", n=" + n + ": output");
            for (String p : expected.getSecond().gradientForVariable().keySet()) {
                assertClose(expected.getSecond().getGradientFor(p), actual.getSecond().getGradientFor(p),
                        name + ", n=" + n + ": gradient of " + p);
            }
            assertEquals(expected.getSecond().gradientForVariable().keySet(),
                    actual.getSecond().gradientForVariable().keySet(), "the same parameters have gradients");
            assertClose(lastInputGradient, lastInputGradientFast, name + ", n=" + n + ": input gradient");
            List<String> kernels = helper.kernels();
            assertEquals(!name.startsWith("truncation"), !kernels.isEmpty(), "ran on its own primitives: " + kernels);
            if (name.contains("Winograd") && n == 32) {
                // oneDNN has f32 Winograd only for AVX-512; with less (ONEDNN_MAX_CPU_ISA=AVX2) a JIT direct kernel
                String algorithm = OneDnnIsa.avx512() ? "wino" : "jit:" + OneDnnIsa.effective();
                assertTrue(kernels.get(0).contains(algorithm), "oneDNN on " + OneDnnIsa.effective() + " chose " + kernels);
            }
        }
    }

    @ParameterizedTest(name = "bias {0}")
    @CsvSource({"true", "false"})
    void withoutTheInputGradientTheWeightGradientsAreTheSame(boolean bias) {
        ConvolutionLayer conf = new ConvolutionLayer.Builder(3, 3).padding(1, 1).nOut(4).hasBias(bias)
                .activation(Activation.IDENTITY).build();
        MultiLayerNetwork reference = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(3)
                .dataType(DataType.FLOAT).list().layer(conf).setInputType(InputType.convolutional(8, 8, 3)).build());
        reference.init();
        MultiLayerNetwork tested = reference.clone();
        reference.initGradientsView();
        tested.initGradientsView();
        HELPERS.set(reference.getLayer(0), null);
        Layer fast = tested.getLayer(0);
        HELPERS.set(fast, new OneDnnConvolutionHelper((ConvolutionHelper) HELPERS.get(fast), false, bias));

        INDArray x = Nd4j.rand(DataType.FLOAT, 6, 3, 8, 8);
        Pair<INDArray, Gradient> expected = pass(reference.getLayer(0), x);
        Pair<INDArray, Gradient> actual = pass(fast, x);
        assertNull(lastInputGradientFast, "no gradient for the images");
        assertClose(expected.getFirst(), actual.getFirst(), "output");
        assertEquals(expected.getSecond().gradientForVariable().keySet(), actual.getSecond().gradientForVariable().keySet());
        for (String p : expected.getSecond().gradientForVariable().keySet()) {
            assertClose(expected.getSecond().getGradientFor(p), actual.getSecond().getGradientFor(p), "gradient of " + p);
        }
    }

    private INDArray lastInputGradient;
    private INDArray lastInputGradientFast;

    /** Forward and backward through {@code layer} with a fixed upstream gradient; keeps the input gradient. */
    private Pair<INDArray, Gradient> pass(Layer layer, INDArray x) {
        LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
        layer.setInput(x, mgr);
        INDArray y = layer.activate(true, mgr).dup();
        Nd4j.getRandom().setSeed(11 + x.size(0));
        INDArray eps = Nd4j.rand(DataType.FLOAT, y.shape()).subi(0.5);
        Pair<Gradient, INDArray> back = layer.backpropGradient(eps, mgr);
        Gradient g = back.getFirst();
        Gradient copy = new org.deeplearning4j.nn.gradient.DefaultGradient();
        g.gradientForVariable().forEach((k, v) -> copy.setGradientFor(k, v.dup()));
        INDArray dx = back.getSecond() == null ? null : back.getSecond().dup();
        if (HELPERS.get(layer) == null) {
            lastInputGradient = dx;
        } else {
            lastInputGradientFast = dx;
        }
        return new Pair<>(y, copy);
    }

    static void assertClose(INDArray expected, INDArray actual, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        double scale = Math.max(1e-3, expected.amaxNumber().doubleValue());
        double diff = Transforms.abs(expected.sub(actual)).maxNumber().doubleValue();
        assertTrue(diff <= 1e-5 * scale, what + " differs by " + diff + " (largest value " + scale + ")");
    }
}
