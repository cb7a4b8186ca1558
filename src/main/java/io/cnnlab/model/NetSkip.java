package io.cnnlab.model;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.nd4j.linalg.activations.Activation;

/**
 * The notebook's {@code NetSkip(n_ch1=32)} ("Depth"): relu convolutions 3→baseWidth and baseWidth→baseWidth/2 with
 * max-pool, a third conv baseWidth/2→baseWidth/2 whose relu output is added to its input, max-pool, then
 * fc (4·4·baseWidth/2)→32 relu → classes. 16,130 trainable parameters.
 *
 * <p>Notebook bug fixed: {@code forward} called {@code self.conv3d}, which does not exist; the
 * layer is {@code conv3}.
 */
public class NetSkip extends ArchitectureBuilder<NetSkip> {
    public NetSkip() {
        super(32);
    }

    @Override
    protected String addLayers(GraphBuilder g) {
        String x = Blocks.convPool(g, "conv1", INPUT, baseWidth, Activation.RELU);
        x = Blocks.convPool(g, "conv2", x, baseWidth / 2, Activation.RELU);
        String conv3 = Blocks.conv(g, "conv3", x, baseWidth / 2, 3, Activation.RELU);
        x = Blocks.maxPool(g, "conv3_pool", Blocks.add(g, "skip", conv3, x));
        return Blocks.head(g, "fc1", "output", x, 32, Activation.RELU, numClasses);
    }
}
