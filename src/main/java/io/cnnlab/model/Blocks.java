package io.cnnlab.model;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.dropout.SpatialDropout;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * The notebook's building blocks, each written once, as methods that add named vertices to a
 * {@link GraphBuilder} and return the name of the block's output.
 */
public final class Blocks {
    private Blocks() {
    }

    /** {@code nn.Conv2d(nIn, nOut, kernel_size=k, padding=k/2)} followed by an activation, in one DL4J layer. */
    public static String conv(GraphBuilder g, String name, String input, int nOut, int kernel, Activation act) {
        g.addLayer(name, new ConvolutionLayer.Builder(kernel, kernel).padding(kernel / 2, kernel / 2)
                .nOut(nOut).activation(act).build(), input);
        return name;
    }

    /** {@code F.max_pool2d(x, 2)}. */
    public static String maxPool(GraphBuilder g, String name, String input) {
        g.addLayer(name, new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX)
                .kernelSize(2, 2).stride(2, 2).build(), input);
        return name;
    }

    /** {@code F.max_pool2d(act(conv(x)), 2)}: the notebook's standard convolution block. */
    public static String convPool(GraphBuilder g, String name, String input, int nOut, Activation act) {
        return maxPool(g, name + "_pool", conv(g, name, input, nOut, 3, act));
    }

    /**
     * The trunk that Net, NetWidth, NetWidthProject and NetWidthEmbed share:
     * {@code pool(tanh(first(x)))} with {@code width} channels, then {@code pool(tanh(second(.)))} with width/2.
     */
    public static String tanhTrunk(GraphBuilder g, String first, String second, String input, int width) {
        String x = convPool(g, first, input, width, Activation.TANH);
        return convPool(g, second, x, width / 2, Activation.TANH);
    }

    /**
     * Convolution without bias, then batch normalisation, then the activation: the notebook's
     * {@code bn(conv(x))} with {@code bias=False} (which the notebook meant but did not get).
     */
    public static String convBnAct(GraphBuilder g, String name, String input, int nOut, int kernel,
                                   WeightInit init, double gamma, Activation act) {
        ConvolutionLayer.Builder conv = new ConvolutionLayer.Builder(kernel, kernel).padding(kernel / 2, kernel / 2)
                .nOut(nOut).hasBias(false).activation(Activation.IDENTITY);
        if (init != null) {
            conv.weightInit(init);
        }
        g.addLayer(name, conv.build(), input);
        g.addLayer(name + "_bn", new BatchNormalization.Builder().gamma(gamma).beta(0.0).build(), name);
        g.addLayer(name + "_act", new ActivationLayer.Builder().activation(act).build(), name + "_bn");
        return name + "_act";
    }

    /**
     * airbench's conv group: conv 3x3 (no bias) → max-pool 2 → batch norm → relu → conv 3x3 (no bias) →
     * batch norm → relu. Pooling before the first batch norm halves the resolution the rest of the group
     * works at.
     */
    public static String convGroup(GraphBuilder g, String name, String input, int nOut) {
        g.addLayer(name + "_conv1", new ConvolutionLayer.Builder(3, 3).padding(1, 1).nOut(nOut).hasBias(false)
                .activation(Activation.IDENTITY).build(), input);
        String x = maxPool(g, name + "_pool", name + "_conv1");
        g.addLayer(name + "_bn1", new BatchNormalization.Builder().build(), x);
        g.addLayer(name + "_act1", new ActivationLayer.Builder().activation(Activation.RELU).build(), name + "_bn1");
        return convBnAct(g, name + "_conv2", name + "_act1", nOut, 3, null, 1.0, Activation.RELU);
    }

    /** {@code out + x}. */
    public static String add(GraphBuilder g, String name, String a, String b) {
        g.addVertex(name, new ElementWiseVertex(ElementWiseVertex.Op.Add), a, b);
        return name;
    }

    /**
     * The notebook's {@code ResBlock}: {@code relu(bn(conv3x3(x))) + x}, conv without bias and with
     * kaiming-normal (relu) weights, batch norm starting at gamma 0.5, beta 0.
     */
    public static String resBlock(GraphBuilder g, String name, String input, int nCh) {
        String out = convBnAct(g, name + "_conv", input, nCh, 3, WeightInit.RELU, 0.5, Activation.RELU);
        return add(g, name + "_add", out, input);
    }

    /**
     * A bottleneck residual block, the design the notebook's last (broken) snippet sketches:
     * 1x1 conv nCh→nMid + relu, 3x3 conv nMid→nMid (padding 1) + relu, 1x1 conv nMid→nCh without
     * bias, batch norm (gamma 0.5, beta 0), relu, plus the block input. It mirrors {@link #resBlock}:
     * kaiming-normal weights, one batch norm before the add, relu before the add.
     */
    public static String bottleneckBlock(GraphBuilder g, String name, String input, int nCh, int nMid) {
        g.addLayer(name + "_reduce", new ConvolutionLayer.Builder(1, 1).nOut(nMid)
                .weightInit(WeightInit.RELU).activation(Activation.RELU).build(), input);
        g.addLayer(name + "_conv", new ConvolutionLayer.Builder(3, 3).padding(1, 1).nOut(nMid)
                .weightInit(WeightInit.RELU).activation(Activation.RELU).build(), name + "_reduce");
        String out = convBnAct(g, name + "_expand", name + "_conv", nCh, 1, WeightInit.RELU, 0.5, Activation.RELU);
        return add(g, name + "_add", out, input);
    }

    /** {@code nn.Dropout2d(p)}: whole channels dropped. DL4J takes the retain probability, 1 - p. */
    public static String channelDropout(GraphBuilder g, String name, String input, double dropProbability) {
        g.addLayer(name, new DropoutLayer.Builder().dropOut(new SpatialDropout(1.0 - dropProbability)).build(), input);
        return name;
    }

    /**
     * The classifier head every notebook net shares: {@code output(act(hidden(flatten(x))))} with 32 hidden
     * units, softmax + cross-entropy (PyTorch's CrossEntropyLoss on logits). DL4J inserts the
     * flatten (C,H,W order, like {@code view}) from the input type.
     */
    public static String head(GraphBuilder g, String hiddenName, String outputName, String input, int hidden,
                              Activation act, int numClasses) {
        g.addLayer(hiddenName, new DenseLayer.Builder().nOut(hidden).activation(act).build(), input);
        g.addLayer(outputName, new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                .nOut(numClasses).activation(Activation.SOFTMAX).build(), hiddenName);
        return outputName;
    }
}
