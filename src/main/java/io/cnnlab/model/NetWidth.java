package io.cnnlab.model;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.nd4j.linalg.activations.Activation;

/**
 * The notebook's {@code NetWidth(n_ch1=32)}: conv 3→baseWidth, conv baseWidth→baseWidth/2 (3x3, tanh, max-pool 2
 * each), fc (8·8·baseWidth/2)→32 tanh, fc 32→classes. 38,386 trainable parameters on CIFAR-2.
 */
public class NetWidth extends ArchitectureBuilder<NetWidth> {
    public NetWidth() {
        super(32);
    }

    @Override
    protected String addLayers(GraphBuilder g) {
        String trunk = Blocks.tanhTrunk(g, "conv1", "conv2", INPUT, baseWidth);
        return Blocks.head(g, "fc1", "output", trunk, 32, Activation.TANH, numClasses);
    }
}
