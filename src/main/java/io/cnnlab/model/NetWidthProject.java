package io.cnnlab.model;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.nd4j.linalg.activations.Activation;

/**
 * The notebook's {@code NetWidthProject(n_ch1=32)}: {@link NetWidth} plus a 1x1 convolution
 * baseWidth/2→baseWidth/2 with tanh (a projection that keeps the channel count). 38,658 trainable parameters.
 */
public class NetWidthProject extends ArchitectureBuilder<NetWidthProject> {
    public NetWidthProject() {
        super(32);
    }

    @Override
    protected String addLayers(GraphBuilder g) {
        String trunk = Blocks.tanhTrunk(g, "conv1", "conv2", INPUT, baseWidth);
        String x = Blocks.conv(g, "conv3", trunk, baseWidth / 2, 1, Activation.TANH);
        return Blocks.head(g, "fc1", "output", x, 32, Activation.TANH, numClasses);
    }
}
