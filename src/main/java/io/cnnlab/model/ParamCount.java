package io.cnnlab.model;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Trainable parameters as PyTorch counts them. DL4J's {@code numParams()} also counts batch norm's
 * running mean and variance, which it stores as parameters but never trains.
 */
public final class ParamCount {
    private static final Set<String> RUNNING_STATS = Set.of(
            BatchNormalizationParamInitializer.GLOBAL_MEAN,
            BatchNormalizationParamInitializer.GLOBAL_VAR,
            BatchNormalizationParamInitializer.GLOBAL_LOG_STD);
    /** PyTorch's per-module order (weight before bias), so the list reads like the notebook's numel_list. */
    private static final List<String> ORDER = List.of("W", "gamma", "b", "beta");

    /** One trainable parameter array: layer name, DL4J parameter key, element count. */
    public record Param(String layer, String key, long count) {
    }

    private ParamCount() {
    }

    public static long trainable(ComputationGraph graph) {
        return perArray(graph).stream().mapToLong(Param::count).sum();
    }

    /** Trainable arrays in network order: the notebook's {@code [p.numel() for p in model.parameters()]}. */
    public static List<Param> perArray(ComputationGraph graph) {
        List<Param> out = new ArrayList<>();
        for (int idx : graph.topologicalSortOrder()) {
            if (!graph.getVertices()[idx].hasLayer()) {
                continue;
            }
            Layer layer = graph.getVertices()[idx].getLayer();
            Map<String, INDArray> table = layer.paramTable();
            List<String> keys = new ArrayList<>(table.keySet());
            keys.removeIf(RUNNING_STATS::contains);
            keys.sort((a, b) -> Integer.compare(rank(a), rank(b)));
            for (String k : keys) {
                out.add(new Param(layer.conf().getLayer().getLayerName(), k, table.get(k).length()));
            }
        }
        return out;
    }

    private static int rank(String key) {
        int i = ORDER.indexOf(key);
        return i < 0 ? ORDER.size() : i;
    }
}
