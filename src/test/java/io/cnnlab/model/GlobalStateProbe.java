package io.cnnlab.model;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;

import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Run in a fresh JVM by {@link NoSideEffectsTest}: builds, initialises and runs every architecture as a
 * DL4J program would, and prints each piece of global state that changed (exit 1), or "unchanged" (exit 0).
 */
public final class GlobalStateProbe {
    private GlobalStateProbe() {
    }

    static Map<String, String> snapshot() {
        Map<String, String> s = new TreeMap<>();
        System.getProperties().forEach((k, v) -> s.put("property " + k, String.valueOf(v)));
        s.put("ND4J default data type", String.valueOf(Nd4j.dataType()));
        s.put("ND4J default floating-point type", String.valueOf(Nd4j.defaultFloatingPointType()));
        s.put("OpenBLAS threads", String.valueOf(Nd4j.factory().blas().getMaxThreads()));
        s.put("OpenMP threads of this thread", String.valueOf(NativeOpsHolder.getInstance().getDeviceNativeOps().ompGetMaxThreads()));
        s.put("ND4J max master threads", String.valueOf(Nd4j.getEnvironment().maxMasterThreads()));
        return s;
    }

    public static void main(String[] args) {
        Nd4j.create(1); // ND4J started, as in any DL4J program, before cnnlab is used
        Map<String, String> before = snapshot();
        for (String name : Architectures.names()) {
            Architectures.get(name).create().conf().toJson();
            ComputationGraph g = Architectures.get(name).create().init();
            g.outputSingle(Nd4j.rand(DataType.FLOAT, 2, 3, 32, 32));
        }
        Map<String, String> after = snapshot();
        TreeSet<String> keys = new TreeSet<>(before.keySet());
        keys.addAll(after.keySet());
        int changed = 0;
        for (String k : keys) {
            if (!String.valueOf(before.get(k)).equals(String.valueOf(after.get(k)))) {
                System.out.println("changed: " + k + ": " + before.get(k) + " -> " + after.get(k));
                changed++;
            }
        }
        System.out.println(changed == 0 ? "unchanged" : changed + " changed");
        System.exit(changed == 0 ? 0 : 1);
    }
}
