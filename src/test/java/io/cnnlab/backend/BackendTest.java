package io.cnnlab.backend;

import io.cnnlab.data.InMemoryIterator;
import io.cnnlab.data.Normalization;
import io.cnnlab.model.Architectures;
import io.cnnlab.testing.RealData;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.impl.ActivationTanH;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BackendTest {

    @Test
    void accelerateSwapsTanhInLiveLayersOnlyAndKeepsOutputs() {
        ComputationGraph plain = Architectures.get("net").create().seed(3).init();
        ComputationGraph fast = plain.clone();
        String json = fast.getConfiguration().toJson();
        Backend.accelerate(fast);
        Backend.accelerate(fast);

        int swapped = 0;
        for (Layer l : fast.getLayers()) {
            if (l.conf().getLayer() instanceof BaseLayer b && b.getActivationFn() instanceof ActivationTanH) {
                assertEquals(OneDnnTanH.class, b.getActivationFn().getClass(), l.conf().getLayer().getLayerName());
                swapped++;
            }
        }
        assertEquals(3, swapped, "conv1, conv2 and fc1 use tanh");
        assertEquals(json, fast.getConfiguration().toJson(), "the saved configuration stays plain DL4J");
        assertTrue(json.contains("ActivationTanH") && !json.contains("OneDnnTanH"));

        INDArray x = InMemoryIterator.inOrder(RealData.cifar2().test(), Normalization.CIFAR, 200).next().getFeatures();
        double diff = Transforms.abs(plain.outputSingle(x).sub(fast.outputSingle(x))).maxNumber().doubleValue();
        assertTrue(diff < 1e-5, "probabilities differ by " + diff);
    }

    @Test
    void ompThreadsAreSetPerCallingThread() throws Exception {
        int before = Backend.setOmpThreadsOfThisThread(1);
        try {
            int[] other = new int[1];
            Thread t = new Thread(() -> other[0] = Backend.setOmpThreadsOfThisThread(1));
            t.start();
            t.join();
            assertEquals(1, Backend.setOmpThreadsOfThisThread(1), "this thread now runs ops on one OpenMP thread");
            assertTrue(other[0] >= 1);
        } finally {
            Backend.setOmpThreadsOfThisThread(before);
        }
    }
}
