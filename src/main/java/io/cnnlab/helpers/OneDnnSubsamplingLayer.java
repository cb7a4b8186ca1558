package io.cnnlab.helpers;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.layers.convolution.subsampling.SubsamplingLayer;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * DL4J's pooling layer with its forward pass through the layer's helper too: DL4J's
 * {@code SubsamplingLayer.activate} calls libnd4j's {@code maxpool2d} op directly, whose oneDNN
 * implementation keeps plain NCHW and so falls back to oneDNN's reference kernel on AVX2 CPUs, while the
 * backward pass already asks the helper ({@link OneDnnPoolingHelper}, which picks a layout with a JIT
 * kernel). Same configuration, same arithmetic (max pooling is exact); it exists only in live graphs,
 * put there by {@link Helpers#accelerate}, never in a saved model.
 */
final class OneDnnSubsamplingLayer extends SubsamplingLayer {
    private final OneDnnPoolingHelper oneDnn;

    private OneDnnSubsamplingLayer(SubsamplingLayer original, DataType dataType, OneDnnPoolingHelper helper) {
        super(original.conf(), dataType);
        setIndex(original.getIndex());
        setListeners(original.getListeners());
        this.helper = helper;
        this.oneDnn = helper;
    }

    @Override
    public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(false);
        var c = layerConf();
        INDArray out = oneDnn.forward(input, training, c.getKernelSize(), c.getStride(), c.getPadding(), c.getPoolingType(),
                convolutionMode, c.getDilation(), c.getCnn2dDataFormat(), workspaceMgr);
        return out != null ? out : super.activate(training, workspaceMgr);
    }

    OneDnnPoolingHelper oneDnn() {
        return oneDnn;
    }

    /** Puts a copy of {@code layer} with {@code helper} into {@code graph} in its place. */
    static void replace(ComputationGraph graph, SubsamplingLayer layer, OneDnnPoolingHelper helper) {
        LiveLayers.replace(graph, layer, new OneDnnSubsamplingLayer(layer, graph.getConfiguration().getDataType(), helper));
    }
}
