package io.cnnlab.helpers;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.layers.convolution.ConvolutionLayer;
import org.deeplearning4j.nn.layers.convolution.subsampling.SubsamplingLayer;

/** For tests outside this package: a live network back on DL4J's built-in convolution and pooling code. */
public final class WithoutHelpers {
    private WithoutHelpers() {
    }

    /** Removes every convolution and pooling layer helper of {@code g}, so DL4J's own Java/ND4J path runs. */
    public static void strip(ComputationGraph g) {
        LayerHelpers conv = new LayerHelpers(ConvolutionLayer.class);
        LayerHelpers pool = new LayerHelpers(SubsamplingLayer.class);
        for (Layer l : g.getLayers()) {
            if (l instanceof ConvolutionLayer) { // DL4J's or cnnlab's OneDnnConvolutionLayer, which then takes DL4J's path
                conv.set(l, null);
            } else if (l.getClass() == SubsamplingLayer.class) {
                pool.set(l, null);
            }
        }
    }
}
