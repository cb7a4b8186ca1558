package io.cnnlab.model;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.nd4j.linalg.activations.Activation;

/**
 * The notebook's {@code NetResDeep(n_ch1=32, n_blocks=10)}: conv 3→baseWidth relu + max-pool, nBlocks
 * {@link Blocks#resBlock ResBlocks}, max-pool, fc (8·8·baseWidth)→32 relu → classes. 159,330 trainable
 * parameters with the defaults.
 *
 * <p>Notebook bug fixed: {@code nn.Sequential(*(n_blocks * [ResBlock(n_ch1)]))} repeats ONE block
 * object, so its ten "blocks" shared one set of weights (75,810 parameters). Here every block has
 * its own weights.
 */
public class NetResDeep extends ArchitectureBuilder<NetResDeep> {
    protected int nBlocks = 10;

    public NetResDeep() {
        super(32);
    }

    public NetResDeep nBlocks(int nBlocks) {
        this.nBlocks = nBlocks;
        return this;
    }

    public int nBlocks() {
        return nBlocks;
    }

    @Override
    protected void validateSpecific() {
        if (nBlocks < 1) {
            throw new IllegalArgumentException("nBlocks must be at least 1, got " + nBlocks);
        }
    }

    @Override
    protected String addLayers(GraphBuilder g) {
        String x = Blocks.convPool(g, "conv1", INPUT, baseWidth, Activation.RELU);
        for (int i = 1; i <= nBlocks; i++) {
            x = block(g, "res" + i, x);
        }
        x = Blocks.maxPool(g, "res_pool", x);
        return Blocks.head(g, "fc1", "output", x, 32, Activation.RELU, numClasses);
    }

    /** One residual block; {@link NetResBottleneck} swaps in its bottleneck design. */
    protected String block(GraphBuilder g, String name, String input) {
        return Blocks.resBlock(g, name, input, baseWidth);
    }
}
