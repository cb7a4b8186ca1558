package io.cnnlab.train;

import io.cnnlab.model.Net;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** When a run gives freed native memory back: after the steps and the evaluation that size DL4J's workspaces. */
class NativeMemoryReleaseTest {

    @Test
    void releasesAfterTheFirstTwoStepsAndTheFirstEpochOnly() {
        List<String> events = new ArrayList<>();
        NativeMemoryRelease listener = new NativeMemoryRelease(() -> events.add("release"));
        ComputationGraph graph = new Net().init();
        for (int epoch = 0; epoch < 2; epoch++) {
            listener.onEpochStart(graph);
            for (int step = 0; step < 4; step++) {
                events.add("step " + epoch + "." + step);
                listener.iterationDone(graph, epoch * 4 + step, epoch);
            }
            events.add("end " + epoch);
            listener.onEpochEnd(graph);
        }
        assertEquals(List.of("step 0.0", "release", "step 0.1", "release", "step 0.2", "step 0.3", "end 0", "release",
                "step 1.0", "step 1.1", "step 1.2", "step 1.3", "end 1"), events);
    }
}
