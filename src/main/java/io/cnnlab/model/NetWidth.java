package io.cnnlab.model;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.nd4j.linalg.activations.Activation;

/**
 * The notebook's {@code NetWidth(n_ch1=32)}: conv 3→nCh1, conv nCh1→nCh1/2 (3x3, tanh, max-pool 2
 * each), fc (8·8·nCh1/2)→32 tanh, fc 32→classes. 38,386 trainable parameters on CIFAR-2.
 */
public class NetWidth extends NotebookModel<NetWidth> {
    public NetWidth() {
        super(32);
    }

    @Override
    protected String addLayers(GraphBuilder g) {
        return Blocks.head(g, Blocks.tanhTrunk(g, INPUT, nCh1), 32, Activation.TANH, numClasses);
    }
}
