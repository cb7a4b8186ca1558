package io.cnnlab.model;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Not one of the notebook's designs: the architecture of cnnlab's CIFAR-10 recipe
 * ({@code profiles/cifar10-60min.yaml}), after Keller Jordan's airbench. A 3x3 stem convolution
 * (baseWidth channels, batch norm, relu), then three conv groups of widths 2, 4 and 4 times baseWidth,
 * each {@code conv3x3 → max-pool → BN → relu → conv3x3 → BN → relu}, then a global max-pool and the
 * linear classifier. With the default baseWidth 32: groups of 64, 128 and 128 channels, 0.14 GFLOP per
 * image forward, 574,890 trainable parameters for ten classes.
 *
 * <p>Why this shape: on two CPU cores the budget of an hour is about 40 passes over CIFAR-10's 50,000
 * images at this size, with an evaluation after each. Pooling right after each group's first convolution
 * keeps three quarters of the arithmetic at low resolution, batch norm after every convolution lets it train at a high rate with few
 * epochs, and the global max-pool head has no large dense layer to overfit. airbench's other devices
 * (whitening stem, lookahead, alternating flips) are left out; cnnlab's recipe supplies augmentation,
 * label smoothing and the one-cycle schedule.
 */
public class NetFast extends ArchitectureBuilder<NetFast> {
    public NetFast() {
        super(32);
    }

    @Override
    protected void validateSpecific() {
        // Every width is a multiple of baseWidth: any positive width is valid.
    }

    @Override
    protected String addLayers(GraphBuilder g) {
        String x = Blocks.convBnAct(g, "stem", INPUT, baseWidth, 3, null, 1.0, Activation.RELU);
        x = Blocks.convGroup(g, "group1", x, 2 * baseWidth);
        x = Blocks.convGroup(g, "group2", x, 4 * baseWidth);
        x = Blocks.convGroup(g, "group3", x, 4 * baseWidth);
        g.addLayer("global_pool", new GlobalPoolingLayer.Builder(PoolingType.MAX).build(), x);
        g.addLayer("output", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                .nOut(numClasses).activation(Activation.SOFTMAX).build(), "global_pool");
        return "output";
    }
}
