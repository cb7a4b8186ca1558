package io.cnnlab.model;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;

/**
 * {@link NetResDeep} built from {@link Blocks#bottleneckBlock bottleneck blocks} (1x1 baseWidth→baseWidth/4,
 * 3x3 baseWidth/4→baseWidth/4, 1x1 baseWidth/4→baseWidth, batch norm, + identity): the design of the notebook's last
 * snippet. 78,210 trainable parameters with the defaults.
 *
 * <p>Notebook bugs fixed: the snippet's 3x3 convolution took 3 input channels instead of baseWidth/4,
 * and its expanding 1x1 convolution had {@code padding=1}, which grows the map by 2 pixels and
 * makes the identity add impossible.
 */
public class NetResBottleneck extends NetResDeep {

    @Override
    protected void validateSpecific() {
        super.validateSpecific();
        requireDivisible(4);
    }

    @Override
    protected String block(GraphBuilder g, String name, String input) {
        return Blocks.bottleneckBlock(g, name, input, baseWidth, baseWidth / 4);
    }
}
