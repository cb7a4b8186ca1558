package io.cnnlab.model;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.nd4j.linalg.activations.Activation;

/**
 * The notebook's {@code NetWidthEmbed(n_ch1=32)}: {@link NetWidth} plus a 1x1 convolution
 * nCh1/2→nCh1/4 with tanh (an embedding that halves the channels), fc (8·8·nCh1/4)→32 → classes.
 * 22,138 trainable parameters.
 */
public class NetWidthEmbed extends NotebookModel<NetWidthEmbed> {
    public NetWidthEmbed() {
        super(32);
    }

    @Override
    protected void validateSpecific() {
        requireDivisible(4);
    }

    @Override
    protected String addLayers(GraphBuilder g) {
        String x = Blocks.conv(g, "conv3", Blocks.tanhTrunk(g, INPUT, nCh1), nCh1 / 4, 1, Activation.TANH);
        return Blocks.head(g, x, 32, Activation.TANH, numClasses);
    }
}
