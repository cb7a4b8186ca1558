package io.cnnlab.model;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.nd4j.linalg.activations.Activation;

/**
 * The notebook's baseline {@code Net}: conv 3→16, conv 16→8 (3x3, same padding, tanh, max-pool 2
 * each), fc 512→32 tanh, fc 32→classes. 18,090 trainable parameters on CIFAR-2 (18,354 on CIFAR-10).
 * The same design as {@link NetWidth}, at base width 16, kept as its own class because it is the
 * notebook's reference point.
 */
public class Net extends ArchitectureBuilder<Net> {
    public Net() {
        super(16);
    }

    @Override
    protected String addLayers(GraphBuilder g) {
        String trunk = Blocks.tanhTrunk(g, "conv1", "conv2", INPUT, baseWidth);
        return Blocks.head(g, "fc1", "output", trunk, 32, Activation.TANH, numClasses);
    }
}
