package io.cnnlab.model;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.nd4j.linalg.activations.Activation;

/**
 * The notebook's {@code NetWidthProject(n_ch1=32)}: {@link NetWidth} plus a 1x1 convolution
 * nCh1/2→nCh1/2 with tanh (a projection that keeps the channel count). 38,658 trainable parameters.
 */
public class NetWidthProject extends NotebookModel<NetWidthProject> {
    public NetWidthProject() {
        super(32);
    }

    @Override
    protected String addLayers(GraphBuilder g) {
        String x = Blocks.conv(g, "conv3", Blocks.tanhTrunk(g, INPUT, nCh1), nCh1 / 2, 1, Activation.TANH);
        return Blocks.head(g, x, 32, Activation.TANH, numClasses);
    }
}
