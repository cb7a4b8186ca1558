package io.cnnlab.model;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.nd4j.linalg.activations.Activation;

/**
 * The notebook's {@code NetSkip(n_ch1=32)} ("Depth"): relu convolutions 3→nCh1 and nCh1→nCh1/2 with
 * max-pool, a third conv nCh1/2→nCh1/2 whose relu output is added to its input, max-pool, then
 * fc (4·4·nCh1/2)→32 relu → classes. 16,130 trainable parameters.
 *
 * <p>Notebook bug fixed: {@code forward} called {@code self.conv3d}, which does not exist; the
 * layer is {@code conv3}.
 */
public class NetSkip extends NotebookModel<NetSkip> {
    public NetSkip() {
        super(32);
    }

    @Override
    protected String addLayers(GraphBuilder g) {
        String x = Blocks.convPool(g, "conv1", INPUT, nCh1, Activation.RELU);
        x = Blocks.convPool(g, "conv2", x, nCh1 / 2, Activation.RELU);
        String conv3 = Blocks.conv(g, "conv3", x, nCh1 / 2, 3, Activation.RELU);
        x = Blocks.maxPool(g, "conv3_pool", Blocks.add(g, "skip", conv3, x));
        return Blocks.head(g, x, 32, Activation.RELU, numClasses);
    }
}
