package io.cnnlab.model;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.nd4j.linalg.activations.Activation;

/**
 * The notebook's {@code NetBatchNormalization(n_ch1=32)}: conv (no bias) → batch norm → tanh →
 * max-pool, twice, then the usual head. 38,434 trainable parameters.
 *
 * <p>Notebook bugs fixed here: {@code bias = "False"} is a truthy string, so its convolutions kept
 * their biases (38,482 parameters); and its {@code forward} called {@code self.conv1(out)} before
 * {@code out} existed, so the class never ran.
 */
public class NetBatchNorm extends ArchitectureBuilder<NetBatchNorm> {
    public NetBatchNorm() {
        super(32);
    }

    @Override
    protected String addLayers(GraphBuilder g) {
        String x = Blocks.convBnAct(g, "conv1", INPUT, baseWidth, 3, null, 1.0, Activation.TANH);
        x = Blocks.maxPool(g, "conv1_pool", x);
        x = Blocks.convBnAct(g, "conv2", x, baseWidth / 2, 3, null, 1.0, Activation.TANH);
        x = Blocks.maxPool(g, "conv2_pool", x);
        return Blocks.head(g, "fc1", "output", x, 32, Activation.TANH, numClasses);
    }
}
