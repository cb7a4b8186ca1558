package io.cnnlab.model;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.nd4j.linalg.activations.Activation;

/**
 * The notebook's {@code NetDropout(n_ch1=32)}: {@link NetWidth} with {@code nn.Dropout2d(p=0.4)}
 * after each convolution block. Dropout is active in training only. 38,386 trainable parameters.
 */
public class NetDropout extends ArchitectureBuilder<NetDropout> {
    private double dropProbability = 0.4;

    public NetDropout() {
        super(32);
    }

    /** Probability of dropping a channel, as PyTorch's {@code p} (not DL4J's retain probability). */
    public NetDropout dropProbability(double p) {
        this.dropProbability = p;
        return this;
    }

    public double dropProbability() {
        return dropProbability;
    }

    @Override
    protected void validateSpecific() {
        super.validateSpecific();
        if (!(dropProbability >= 0 && dropProbability < 1)) {
            throw new IllegalArgumentException("dropProbability must be in [0, 1), got " + dropProbability);
        }
    }

    @Override
    protected String addLayers(GraphBuilder g) {
        String x = Blocks.convPool(g, "conv1", INPUT, baseWidth, Activation.TANH);
        x = Blocks.channelDropout(g, "conv1_dropout", x, dropProbability);
        x = Blocks.convPool(g, "conv2", x, baseWidth / 2, Activation.TANH);
        x = Blocks.channelDropout(g, "conv2_dropout", x, dropProbability);
        return Blocks.head(g, "fc1", "output", x, 32, Activation.TANH, numClasses);
    }
}
