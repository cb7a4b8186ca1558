package io.cnnlab.helpers;

import io.cnnlab.backend.Backend;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.layers.mkldnn.MKLDNNSubsamplingHelper;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import static io.cnnlab.helpers.OneDnnConvolutionHelperTest.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/**
 * Max pooling's input gradient through the helper against DL4J's built-in pooling (no helper), and, where
 * several inputs of a window tie (the zeros after a ReLU), against DL4J's oneDNN helper that it replaces.
 */
class OneDnnPoolingHelperTest {
    private static final LayerHelpers HELPERS = new LayerHelpers(
            org.deeplearning4j.nn.layers.convolution.subsampling.SubsamplingLayer.class);

    @BeforeAll
    static void dl4jsOneDnnHelpersOn() {
        Backend.configure();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        // case, channels, height, width, kernel, stride, padding, mode, pooling
        "net's 2x2 stride 2,           16, 32, 32, 2, 2, 0, Truncate, MAX",
        "3x3 stride 2 pad 1,           4, 9, 10, 3, 2, 1, Truncate, MAX",
        "same mode,                    3, 7, 7, 3, 2, 0, Same, MAX",
        "overlapping 3x3 stride 1,     2, 6, 6, 3, 1, 0, Truncate, MAX",
        // handed to DL4J's helper: truncation past the padding, average pooling
        "truncation past the padding,  2, 5, 5, 2, 2, 0, Truncate, MAX",
        "average pooling,              2, 8, 8, 2, 2, 0, Truncate, AVG",
    })
    void matchesDl4jsOwnPooling(String name, int ch, int h, int w, int k, int s, int p, ConvolutionMode mode,
                                SubsamplingLayer.PoolingType type) {
        Layer[] layers = layers(new SubsamplingLayer.Builder(type, new int[] {k, k}, new int[] {s, s})
                .padding(p, p).convolutionMode(mode).build(), h, w, ch);
        HELPERS.set(layers[0], null);
        OneDnnPoolingHelper helper = (OneDnnPoolingHelper) HELPERS.get(layers[1]);
        for (int n : new int[] {32, 3, 32}) {
            // a view: every other image of a larger batch, continuous values (no ties)
            INDArray x = Nd4j.rand(DataType.FLOAT, 2L * n, ch, h, w).get(NDArrayIndex.interval(0, 2, 2L * n));
            assertClose(inputGradient(layers[0], x), inputGradient(layers[1], x), name + ", n=" + n);
            SubsamplingLayer c = (SubsamplingLayer) layers[0].conf().getLayer();
            INDArray forward = helper.forward(x, false, c.getKernelSize(), c.getStride(), c.getPadding(), c.getPoolingType(),
                    c.getConvolutionMode(), c.getDilation(), c.getCnn2dDataFormat(), LayerWorkspaceMgr.noWorkspaces());
            if (forward != null) { // a maximum is one of the inputs: the same floats exactly
                layers[0].setInput(x, LayerWorkspaceMgr.noWorkspaces());
                io.cnnlab.testing.Exact.assertBitwiseEquals(layers[0].activate(false, LayerWorkspaceMgr.noWorkspaces()),
                        forward, name + ", n=" + n + ": forward");
            }
            boolean own = type == SubsamplingLayer.PoolingType.MAX && !name.startsWith("truncation");
            assertEquals(own, !helper.kernels().isEmpty(), "ran on its own primitives: " + helper.kernels());
        }
    }

    /**
     * oneDNN has no JIT max-pooling kernel for plain NCHW on AVX2 (its reference kernel is many times slower),
     * so the plan takes a channel-blocked layout there; on every ISA from AVX2 up, no reference kernel runs.
     */
    @ParameterizedTest
    @CsvSource({"64, 16, 32, 32", "64, 8, 16, 16", "32, 32, 32, 32", "16, 3, 10, 10"})
    void everyPlanRunsAJitKernel(int n, int ch, int h, int w) {
        OneDnnPoolingHelper.Plan plan = OneDnnPoolingHelper.Plan.of(new long[] {n, ch, h, w}, new int[] {2, 2},
                new int[] {2, 2}, new int[] {0, 0}, ConvolutionMode.Truncate);
        try {
            assertFalse(plan.isReference(), "layout " + plan.layout + ": " + plan.kernels);
            assertTrue(plan.kernels.stream().allMatch(k -> k.startsWith("jit")), plan.kernels.toString());
        } finally {
            plan.close();
        }
    }

    @Test
    void tiesGoWhereDl4jsOneDnnHelperSendsThem() {
        Layer[] layers = layers(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX, new int[] {2, 2}, new int[] {2, 2})
                .build(), 8, 8, 4);
        HELPERS.set(layers[0], assertInstanceOf(MKLDNNSubsamplingHelper.class,
                ((OneDnnPoolingHelper) HELPERS.get(layers[1])).dl4j()));
        INDArray x = Nd4j.rand(DataType.FLOAT, 6, 4, 8, 8).subi(0.5);
        x = x.mul(x.gt(0).castTo(DataType.FLOAT)); // a ReLU's output: windows of zeros
        assertClose(inputGradient(layers[0], x), inputGradient(layers[1], x), "ties");
    }

    /**
     * A training forward pass keeps its workspace (where each maximum was) for the backward pass of the same
     * input array, once: the gradient is bitwise the one a backward pass that runs the forward pass itself
     * gives. Another input array, an inference pass in between, or a second backward pass run the forward
     * pass again.
     */
    @Test
    void aTrainingForwardPassKeepsItsWorkspaceForTheSameInputOnly() {
        Layer[] layers = layers(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX, new int[] {2, 2},
                new int[] {2, 2}).build(), 32, 32, 16);
        OneDnnPoolingHelper helper = (OneDnnPoolingHelper) HELPERS.get(layers[1]);
        Nd4j.getRandom().setSeed(7);
        INDArray x = Nd4j.rand(DataType.FLOAT, 8, 16, 32, 32);
        INDArray y = Nd4j.rand(DataType.FLOAT, 8, 16, 32, 32);
        INDArray eps = Nd4j.rand(DataType.FLOAT, 8, 16, 16, 16);
        INDArray gradX = backward(helper, x, eps);
        assertFalse(helper.reusedWorkspace(), "no training forward pass before it");
        INDArray gradY = backward(helper, y, eps);
        assertClose(inputGradient(layers[0], x, eps), gradX, "against DL4J's own pooling");

        forward(helper, x, true);
        io.cnnlab.testing.Exact.assertBitwiseEquals(gradX, backward(helper, x, eps), "with the kept workspace");
        assertTrue(helper.reusedWorkspace(), "the training forward pass's workspace");
        io.cnnlab.testing.Exact.assertBitwiseEquals(gradX, backward(helper, x, eps), "a second backward pass");
        assertFalse(helper.reusedWorkspace(), "kept for one backward pass");

        forward(helper, x, true);
        io.cnnlab.testing.Exact.assertBitwiseEquals(gradY, backward(helper, y, eps), "another input");
        assertFalse(helper.reusedWorkspace(), "kept for x, asked for y");

        forward(helper, x, true);
        forward(helper, y, false);
        io.cnnlab.testing.Exact.assertBitwiseEquals(gradX, backward(helper, x, eps), "after an inference pass");
        assertFalse(helper.reusedWorkspace(), "an inference pass in between");
    }

    private static void forward(OneDnnPoolingHelper helper, INDArray x, boolean training) {
        assertTrue(helper.forward(x, training, new int[] {2, 2}, new int[] {2, 2}, new int[] {0, 0},
                SubsamplingLayer.PoolingType.MAX.toPoolingType(), ConvolutionMode.Truncate, new int[] {1, 1},
                CNN2DFormat.NCHW, LayerWorkspaceMgr.noWorkspaces()) != null);
    }

    private static INDArray backward(OneDnnPoolingHelper helper, INDArray x, INDArray eps) {
        return helper.backpropGradient(x, eps, new int[] {2, 2}, new int[] {2, 2}, new int[] {0, 0},
                SubsamplingLayer.PoolingType.MAX.toPoolingType(), ConvolutionMode.Truncate, new int[] {1, 1},
                CNN2DFormat.NCHW, LayerWorkspaceMgr.noWorkspaces()).getSecond().dup();
    }

    /** Two copies of a one-layer net: [0] with DL4J's helper, [1] with cnnlab's. */
    private static Layer[] layers(SubsamplingLayer conf, int h, int w, int ch) {
        MultiLayerNetwork a = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().dataType(DataType.FLOAT)
                .list().layer(conf).setInputType(InputType.convolutional(h, w, ch)).build());
        a.init();
        MultiLayerNetwork b = a.clone();
        Layer fast = b.getLayer(0);
        HELPERS.set(fast, new OneDnnPoolingHelper(assertInstanceOf(MKLDNNSubsamplingHelper.class, HELPERS.get(fast))));
        return new Layer[] {a.getLayer(0), fast};
    }

    private static INDArray inputGradient(Layer layer, INDArray x) {
        LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
        layer.setInput(x, mgr);
        INDArray y = layer.activate(true, mgr);
        Nd4j.getRandom().setSeed(5);
        INDArray eps = Nd4j.rand(DataType.FLOAT, y.shape());
        return layer.backpropGradient(eps, mgr).getSecond().dup();
    }

    private static INDArray inputGradient(Layer layer, INDArray x, INDArray eps) {
        LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
        layer.setInput(x, mgr);
        layer.activate(true, mgr);
        return layer.backpropGradient(eps, mgr).getSecond().dup();
    }
}
