package io.cnnlab.helpers;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.deeplearning4j.nn.graph.vertex.impl.LayerVertex;
import org.deeplearning4j.nn.layers.convolution.subsampling.SubsamplingLayer;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.lang.reflect.Field;

/**
 * DL4J's pooling layer with its forward pass through the layer's helper too: DL4J's
 * {@code SubsamplingLayer.activate} calls libnd4j's {@code maxpool2d} op directly, whose oneDNN
 * implementation keeps plain NCHW and so falls back to oneDNN's reference kernel on AVX2 CPUs, while the
 * backward pass already asks the helper ({@link OneDnnPoolingHelper}, which picks a layout with a JIT
 * kernel). Same configuration, same arithmetic (max pooling is exact); it exists only in live graphs,
 * put there by {@link Helpers#accelerate}, never in a saved model.
 */
final class OneDnnSubsamplingLayer extends SubsamplingLayer {
    private static final Field GRAPH_VERTEX_LAYER = field(LayerVertex.class, "layer");

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
        INDArray out = oneDnn.forward(input, c.getKernelSize(), c.getStride(), c.getPadding(), c.getPoolingType(),
                convolutionMode, c.getDilation(), c.getCnn2dDataFormat(), workspaceMgr);
        return out != null ? out : super.activate(training, workspaceMgr);
    }

    OneDnnPoolingHelper oneDnn() {
        return oneDnn;
    }

    /** Puts a copy of {@code layer} with {@code helper} into {@code graph} in its place. */
    static void replace(ComputationGraph graph, SubsamplingLayer layer, OneDnnPoolingHelper helper) {
        OneDnnSubsamplingLayer fast = new OneDnnSubsamplingLayer(layer, graph.getConfiguration().getDataType(), helper);
        Layer[] layers = graph.getLayers();
        for (int i = 0; i < layers.length; i++) {
            if (layers[i] == layer) {
                layers[i] = fast; // getLayers() returns the graph's own array
            }
        }
        for (GraphVertex v : graph.getVertices()) {
            if (v instanceof LayerVertex lv && lv.getLayer() == layer) {
                try {
                    GRAPH_VERTEX_LAYER.set(lv, fast);
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
    }

    private static Field field(Class<?> c, String name) {
        try {
            Field f = c.getDeclaredField(name);
            f.setAccessible(true);
            return f;
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("DL4J's " + c.getName() + " has no '" + name + "' field (another DL4J"
                    + " version than 1.0.0-M2.1?): " + e, e);
        }
    }
}
