package io.cnnlab.model;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.nd4j.linalg.activations.Activation;

/**
 * The notebook's {@code NetWidthEmbed(n_ch1=32)}: {@link NetWidth} plus a 1x1 convolution
 * baseWidth/2→baseWidth/4 with tanh (an embedding that halves the channels), fc (8·8·baseWidth/4)→32 → classes.
 * 22,138 trainable parameters.
 */
public class NetWidthEmbed extends ArchitectureBuilder<NetWidthEmbed> {
    public NetWidthEmbed() {
        super(32);
    }

    @Override
    protected void validateSpecific() {
        requireDivisible(4);
    }

    @Override
    protected String addLayers(GraphBuilder g) {
        String trunk = Blocks.tanhTrunk(g, "conv1", "conv2", INPUT, baseWidth);
        String x = Blocks.conv(g, "conv3", trunk, baseWidth / 4, 1, Activation.TANH);
        return Blocks.head(g, "fc1", "output", x, 32, Activation.TANH, numClasses);
    }
}
