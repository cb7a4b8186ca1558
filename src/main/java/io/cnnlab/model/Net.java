package io.cnnlab.model;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.nd4j.linalg.activations.Activation;

/**
 * The notebook's baseline {@code Net}: conv 3→16, conv 16→8 (3x3, same padding, tanh, max-pool 2
 * each), fc 512→32 tanh, fc 32→classes. 18,090 trainable parameters on CIFAR-2 (18,354 on CIFAR-10).
 * It is {@link NetWidth}'s design at width 16, kept as its own class because it is the notebook's
 * reference point.
 */
public class Net extends NotebookModel<Net> {
    public Net() {
        super(16);
    }

    @Override
    protected String addLayers(GraphBuilder g) {
        return Blocks.head(g, Blocks.tanhTrunk(g, INPUT, nCh1), 32, Activation.TANH, numClasses);
    }
}
