package io.cnnlab.helpers;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.deeplearning4j.nn.graph.vertex.impl.LayerVertex;

import java.lang.reflect.Field;
import java.util.Map;

/**
 * Puts cnnlab's subclasses of DL4J layers and vertices into a live graph in place of DL4J's own: the graph's
 * layer array and its layer vertex hold a layer, its vertex array and name map a vertex, and DL4J offers no
 * setter for the vertex's layer or the map.
 */
final class LiveLayers {
    private static final Field GRAPH_VERTEX_LAYER = field(LayerVertex.class, "layer");
    private static final Field GRAPH_VERTICES_MAP = field(ComputationGraph.class, "verticesMap");

    private LiveLayers() {
    }

    /** Puts {@code fresh} into {@code graph} in the place of {@code old}. */
    static void replace(ComputationGraph graph, Layer old, Layer fresh) {
        Layer[] layers = graph.getLayers();
        for (int i = 0; i < layers.length; i++) {
            if (layers[i] == old) {
                layers[i] = fresh; // getLayers() returns the graph's own array
            }
        }
        for (GraphVertex v : graph.getVertices()) {
            if (v instanceof LayerVertex lv && lv.getLayer() == old) {
                try {
                    GRAPH_VERTEX_LAYER.set(lv, fresh);
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
    }

    /** Puts {@code fresh} into {@code graph} in the place of the vertex {@code old} (same name and index). */
    @SuppressWarnings("unchecked")
    static void replaceVertex(ComputationGraph graph, GraphVertex old, GraphVertex fresh) {
        GraphVertex[] vertices = graph.getVertices(); // the graph's own array
        vertices[old.getVertexIndex()] = fresh;
        try {
            ((Map<String, GraphVertex>) GRAPH_VERTICES_MAP.get(graph)).put(old.getVertexName(), fresh);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
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
