package io.cnnlab.helpers;

import io.cnnlab.backend.Backend;
import io.cnnlab.data.InMemoryIterator;
import io.cnnlab.data.Normalization;
import io.cnnlab.model.Architectures;
import io.cnnlab.testing.RealData;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.layers.convolution.ConvolutionLayer;
import org.deeplearning4j.nn.layers.convolution.subsampling.SubsamplingLayer;
import org.deeplearning4j.nn.conf.CacheMode;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.deeplearning4j.nn.layers.normalization.BatchNormalization;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.activations.impl.ActivationTanH;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

import io.cnnlab.parallel.DataParallel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HelpersTest {
    @org.junit.jupiter.api.BeforeAll
    static void cnnlabsBackendSettings() {
        io.cnnlab.backend.Backend.configure(); // DL4J's oneDNN helpers on, as the command line has them
    }

    private static final LayerHelpers POOLING = new LayerHelpers(SubsamplingLayer.class);

    @Test
    void accelerateSwapsActivationsInLiveLayersOnlyAndKeepsOutputs() {
        ComputationGraph plain = Architectures.get("batchnorm").create().seed(3).init();
        ComputationGraph fast = plain.clone();
        String json = fast.getConfiguration().toJson();
        Backend.accelerate(fast);
        Backend.accelerate(fast);

        Map<Class<?>, Integer> swapped = new HashMap<>();
        for (Layer l : fast.getLayers()) {
            IActivation fn = l.conf().getLayer() instanceof BaseLayer b ? b.getActivationFn()
                    : l.conf().getLayer() instanceof ActivationLayer a ? a.getActivationFn() : null;
            if (fn != null) {
                swapped.merge(fn.getClass(), 1, Integer::sum);
            }
        }
        assertEquals(3, swapped.get(OneDnnTanH.class), "the activation layers after conv1's and conv2's batch norm, fc1: " + swapped);
        assertFalse(swapped.containsKey(ActivationTanH.class), swapped.toString());

        ComputationGraphConfiguration saved = ComputationGraphConfiguration.fromJson(fast.getConfiguration().toJson());
        assertEquals(CacheMode.DEVICE, saved.getCacheMode());
        saved.setCacheMode(CacheMode.NONE);
        assertEquals(json, saved.toJson(), "apart from DL4J's cache mode, the saved configuration is the plain one");
        assertTrue(json.contains("ActivationTanH") && !json.contains("OneDnnTanH"));

        INDArray x = batch(200).getFeatures();
        double diff = Transforms.abs(plain.outputSingle(x).sub(fast.outputSingle(x))).maxNumber().doubleValue();
        assertTrue(diff < 1e-5, "probabilities differ by " + diff);
    }

    @Test
    void releaseFreesThePlansAndTheGraphStillComputesTheSame() {
        ComputationGraph g = Backend.accelerate(Architectures.get("resdeep").create().seed(4).init());
        INDArray x = batch(64).getFeatures();
        INDArray before = g.outputSingle(x).dup();
        LayerHelpers convolution = new LayerHelpers(ConvolutionLayer.class);
        OneDnnConvolutionHelper conv1 = (OneDnnConvolutionHelper) convolution.get(g.getLayer("conv1"));
        OneDnnPoolingHelper pool = (OneDnnPoolingHelper) ((OneDnnSubsamplingLayer) g.getLayer("conv1_pool")).oneDnn();
        assertFalse(conv1.kernels().isEmpty(), "the forward pass went through a oneDNN plan");
        assertFalse(pool.kernels().isEmpty());

        Backend.release(g);
        assertTrue(conv1.kernels().isEmpty() && pool.kernels().isEmpty(), "no plan is left");

        INDArray after = g.outputSingle(x);
        assertFalse(conv1.kernels().isEmpty(), "the next call makes its plan again");
        assertArrayEquals(before.data().asFloat(), after.data().asFloat(), "exactly the same output");
    }

    /**
     * With cnnlab's oneDNN convolution and pooling helpers, the convolution layers that differentiate their
     * activation from their output (tanh in net, identity before batch norm elsewhere) and the first
     * convolution's weight gradient only (with a bias in net and resdeep, without in batchnorm), DL4J's step.
     */
    @ParameterizedTest
    @ValueSource(strings = {"net", "batchnorm", "resdeep"})
    void anAcceleratedTrainingStepIsDl4jsStep(String arch) {
        ComputationGraph plain = Architectures.get(arch).create().seed(5).updater(new Sgd(0.05)).init();
        ComputationGraph fast = Backend.accelerate(plain.clone());
        if (arch.equals("net")) {
            assertEquals(OneDnnTanH.class, ((BaseLayer) fast.getLayer("conv1").conf().getLayer()).getActivationFn().getClass());
        }
        if (arch.equals("resdeep")) {
            assertEquals(FastReLU.class, ((ActivationLayer) fast.getLayer("res1_conv_act").conf().getLayer()).getActivationFn().getClass());
        }
        LayerHelpers helpers = new LayerHelpers(ConvolutionLayer.class);
        for (Layer l : fast.getLayers()) {
            if (l instanceof ConvolutionLayer) {
                String name = l.conf().getLayer().getLayerName();
                OneDnnConvolutionHelper helper = assertInstanceOf(OneDnnConvolutionHelper.class, helpers.get(l), name);
                assertEquals(!name.equals("conv1"), helper.inputGradient(), name + ": only conv1 reads the images");
            }
            if (l instanceof SubsamplingLayer) {
                assertInstanceOf(OneDnnPoolingHelper.class, POOLING.get(l), l.conf().getLayer().getLayerName());
            }
        }
        INDArray before = plain.params().dup();
        DataSet batch = batch(64);
        for (int step = 0; step < 2; step++) {
            plain.fit(batch);
            fast.fit(batch);
        }
        for (Layer l : fast.getLayers()) { // tanh in net, the identity before batch norm elsewhere
            if (l instanceof ConvolutionLayer) {
                assertTrue(assertInstanceOf(OneDnnConvolutionLayer.class, l).fusedLast(),
                        l.conf().getLayer().getLayerName() + ": the backward pass from the layer's output");
            }
        }
        double moved = Transforms.abs(plain.params().sub(before)).maxNumber().doubleValue();
        double diff = Transforms.abs(plain.params().sub(fast.params())).maxNumber().doubleValue();
        assertTrue(moved > 1e-4, "the steps change the parameters");
        assertTrue(diff < 1e-4 * moved, arch + ": accelerated steps differ from DL4J's by " + diff + " (moved " + moved + ")");
    }

    /**
     * The lean activation layers (tanh in batchnorm, ReLU in resdeep) and one-pass adds (resdeep, skip) take
     * their own path in training and leave the numbers as DL4J's layers and vertices make them: the same
     * parameters, bit for bit, after two steps.
     */
    @ParameterizedTest
    @ValueSource(strings = {"batchnorm", "resdeep", "skip"})
    void leanActivationLayersAndAddsTrainExactlyAsDl4jsOwn(String arch) {
        ComputationGraph init = Architectures.get(arch).create().seed(6).updater(new Sgd(0.05)).init();
        ComputationGraph dl4j = Helpers.accelerate(init.clone(), true, false);
        ComputationGraph lean = Helpers.accelerate(init.clone(), true, true);
        List<LeanActivationLayer> activations = new ArrayList<>();
        for (Layer l : lean.getLayers()) {
            if (l.conf().getLayer() instanceof ActivationLayer) {
                activations.add(assertInstanceOf(LeanActivationLayer.class, l, l.conf().getLayer().getLayerName()));
            }
        }
        List<LeanAddVertex> adds = new ArrayList<>();
        for (var v : lean.getVertices()) {
            if (v instanceof org.deeplearning4j.nn.graph.vertex.impl.ElementWiseVertex) {
                LeanAddVertex add = assertInstanceOf(LeanAddVertex.class, v, v.getVertexName());
                assertSame(add, lean.getVertex(v.getVertexName()), "the name map holds the lean vertex too");
                adds.add(add);
            }
        }
        assertEquals(Map.of("batchnorm", 2, "resdeep", 10, "skip", 0).get(arch), activations.size());
        assertEquals(Map.of("batchnorm", 0, "resdeep", 10, "skip", 1).get(arch), adds.size());

        DataSet batch = batch(64);
        for (int step = 0; step < 2; step++) {
            dl4j.fit(batch);
            lean.fit(batch);
        }
        assertTrue(activations.stream().allMatch(LeanActivationLayer::leanLast), "every lean backward pass ran");
        assertTrue(adds.stream().allMatch(LeanAddVertex::leanLast), "every one-pass add ran");
        assertNotEquals(0.0, Transforms.abs(init.params().sub(lean.params())).maxNumber().doubleValue());
        assertArrayEquals(dl4j.params().data().asFloat(), lean.params().data().asFloat(), arch + ": exactly DL4J's step");
        assertEquals(dl4j.score(), lean.score(), 0.0);
        INDArray x = batch(100).getFeatures();
        assertArrayEquals(dl4j.outputSingle(x).data().asFloat(), lean.outputSingle(x).data().asFloat());
    }

    @ParameterizedTest
    @ValueSource(strings = {"net", "width", "dropout", "resdeep"})
    void blockedHandoffFromConvolutionToPoolingTrainsExactlyAsWithReorders(String arch) {
        ComputationGraph init = Architectures.get(arch).create().seed(7).updater(new Sgd(0.05)).init();
        ComputationGraph reordered = Helpers.accelerate(init.clone(), true, true, false);
        ComputationGraph handedOff = Helpers.accelerate(init.clone(), true, true, true);
        ComputationGraph unmarked = Helpers.accelerate(init.clone(), true, true, true);
        ComputationGraph listened = Helpers.accelerate(init.clone(), true, true, true);
        listened.setListeners(new org.deeplearning4j.optimize.api.BaseTrainingListener() {
            @Override
            public void onForwardPass(org.deeplearning4j.nn.api.Model model, Map<String, INDArray> activations) {
            }
        });
        DataSet batch = batch(64);
        for (int step = 0; step < 2; step++) {
            long seed = 11 + step; // the same dropout masks for all four
            Nd4j.getRandom().setSeed(seed);
            unmarked.fit(batch); // not a split step's worker thread: no hand-off
            SyncBatchNorm.markWorkerThread(true);
            try {
                for (ComputationGraph g : List.of(reordered, handedOff, listened)) { // listened: no hand-off
                    Nd4j.getRandom().setSeed(seed);
                    g.fit(batch);
                }
            } finally {
                SyncBatchNorm.markWorkerThread(false);
            }
        }
        OneDnnSubsamplingLayer first = assertInstanceOf(OneDnnSubsamplingLayer.class, handedOff.getLayer("conv1_pool"));
        assertTrue(first.blockedLast(), arch + ": the first pooling layer took its input blocked");
        assertTrue(assertInstanceOf(OneDnnConvolutionLayer.class, handedOff.getLayer("conv1")).handedOffLast());
        for (ComputationGraph g : List.of(reordered, unmarked, listened)) {
            for (Layer l : g.getLayers()) {
                if (l instanceof OneDnnSubsamplingLayer p) {
                    assertFalse(p.blockedLast(), l.conf().getLayer().getLayerName() + ": no hand-off here");
                }
            }
        }
        assertNotEquals(0.0, Transforms.abs(init.params().sub(handedOff.params())).maxNumber().doubleValue());
        for (ComputationGraph g : List.of(handedOff, unmarked, listened)) {
            assertArrayEquals(reordered.params().data().asFloat(), g.params().data().asFloat(), arch + ": bit for bit");
            assertEquals(reordered.score(), g.score(), 0.0);
        }
        INDArray x = batch(100).getFeatures();
        assertArrayEquals(reordered.outputSingle(x).data().asFloat(), handedOff.outputSingle(x).data().asFloat());
    }

    /**
     * Inference through {@link Helpers#outputOnly}: the first convolution hands its output to max pooling blocked
     * where pooling reads it directly (not in batchnorm, where batch norm and tanh come between), and the output is
     * {@code outputSingle}'s bit for bit; DL4J's own {@code outputSingle} and {@code feedForward} hand nothing
     * over. DL4J's inference pass clears each layer after passing its output on and before the next layer reads
     * it, so a hand-off record that did not outlive the convolution's {@code clear()} fails here.
     */
    @ParameterizedTest
    @ValueSource(strings = {"net", "width", "batchnorm", "resdeep"})
    void outputOnlyHandsOffToPoolingAndGivesExactlyTheOutputOfOutputSingle(String arch) {
        ComputationGraph init = Architectures.get(arch).create().seed(9).updater(new Sgd(0.05)).init();
        ComputationGraph reordered = Helpers.accelerate(init.clone(), true, true, false);
        ComputationGraph handedOff = Helpers.accelerate(init.clone(), true, true, true);
        OneDnnSubsamplingLayer pool = assertInstanceOf(OneDnnSubsamplingLayer.class, handedOff.getLayer("conv1_pool"));
        boolean takes = !arch.equals("batchnorm");
        INDArray x = batch(64).getFeatures();
        float[] expected = reordered.outputSingle(false, x).data().asFloat();
        for (int pass = 0; pass < 2; pass++) { // the second pass with the plans the first made
            assertArrayEquals(expected, Helpers.outputOnly(handedOff, x).data().asFloat(), arch + ": bit for bit");
            assertEquals(takes, pool.blockedLast(), arch + ": the first pooling layer took its input blocked");
        }
        assertArrayEquals(expected, handedOff.outputSingle(false, x).data().asFloat(), arch + ": DL4J's own output");
        assertFalse(pool.blockedLast(), arch + ": no hand-off in DL4J's own output");
        Map<String, INDArray> mine = handedOff.feedForward(x, false);
        assertFalse(pool.blockedLast(), arch + ": no hand-off in DL4J's feedForward");
        assertArrayEquals(reordered.feedForward(x, false).get("conv1").data().asFloat(), mine.get("conv1").data().asFloat(),
                arch + ": feedForward gives the first convolution's output in NCHW");
    }

    @ParameterizedTest
    @ValueSource(strings = {"batchnorm", "resdeep"})
    void blockedHandoffToSynchronisedBatchNormTrainsExactlyAsWithReorders(String arch) {
        ComputationGraph init = Architectures.get(arch).create().seed(8).updater(new Sgd(0.05)).init();
        ComputationGraph reordered = Helpers.accelerate(init.clone(), true, true, false);
        ComputationGraph handedOff = Helpers.accelerate(init.clone(), true, true, true);
        DataSet batch = batch(64);
        boolean was = Helpers.linkHandoffs(false); // the replicas too
        try (DataParallel dp = new DataParallel(reordered, 2)) {
            for (int step = 0; step < 2; step++) {
                dp.fit(batch, 5 + step);
            }
        } finally {
            Helpers.linkHandoffs(was);
        }
        List<String> handing = new ArrayList<>();
        try (DataParallel dp = new DataParallel(handedOff, 2)) {
            for (int step = 0; step < 2; step++) {
                dp.fit(batch, 5 + step);
                for (Layer l : handedOff.getLayers()) {
                    if (l instanceof OneDnnConvolutionLayer c && c.handedOffLast()) {
                        handing.add(step + ":" + l.conf().getLayer().getLayerName());
                    }
                }
            }
        }
        // Every convolution feeds a batch norm, but resdeep's first one, which feeds a pooling layer.
        int convolutions = (int) Arrays.stream(handedOff.getLayers()).filter(l -> l instanceof ConvolutionLayer).count();
        assertEquals(2 * convolutions, handing.size(), arch + ": every convolution handed over in both steps: " + handing);
        assertArrayEquals(reordered.params().data().asFloat(), handedOff.params().data().asFloat(), arch + ": bit for bit");
        assertEquals(reordered.score(), handedOff.score(), 0.0);
    }

    /**
     * ReLU computed inside the synchronised batch norm before it ({@link FusedRelu}) against the ReLU layers' own
     * passes: the same parameters bit for bit after three data-parallel steps, with every fusable ReLU fused in
     * every step; and a pass whose ReLU layer receives another array than the batch norm handed over fails.
     */
    @ParameterizedTest
    @ValueSource(strings = {"resdeep", "bottleneck"})
    void reluFusedIntoSynchronisedBatchNormTrainsExactlyAsWithout(String arch) {
        ComputationGraph init = Architectures.get(arch).create().seed(4).updater(new Sgd(0.05)).init();
        DataSet batch = batch(64);
        boolean was = Helpers.fuseRelu(false); // the replicas too
        ComputationGraph separate = Helpers.accelerate(init.clone(), true);
        try (DataParallel dp = new DataParallel(separate, 2)) {
            for (int step = 0; step < 3; step++) {
                dp.fit(batch, 5 + step);
            }
        } finally {
            Helpers.fuseRelu(was);
        }
        ComputationGraph fused = Helpers.accelerate(init.clone(), true);
        int batchNorms = (int) Arrays.stream(fused.getLayers()).filter(l -> l instanceof BatchNormalization).count();
        List<String> fusing = new ArrayList<>();
        try (DataParallel dp = new DataParallel(fused, 2)) {
            for (int step = 0; step < 3; step++) {
                dp.fit(batch, 5 + step);
                for (Layer l : fused.getLayers()) { // the calling thread's slice: fused is worker 0's replica
                    if (l instanceof LeanActivationLayer relu && relu.fusedLast()) {
                        fusing.add(step + ":" + l.conf().getLayer().getLayerName());
                    }
                }
            }
        }
        assertTrue(batchNorms >= 10, arch + ": " + batchNorms + " batch norms");
        assertEquals(3 * batchNorms, fusing.size(), arch + ": every ReLU after a batch norm fused in every step: "
                + fusing);
        assertNotEquals(0.0, Transforms.abs(init.params().sub(fused.params())).maxNumber().doubleValue());
        assertArrayEquals(separate.params().data().asFloat(), fused.params().data().asFloat(), arch + ": bit for bit");
        assertEquals(separate.score(), fused.score(), 0.0);
        INDArray x = batch(100).getFeatures();
        assertArrayEquals(separate.outputSingle(x).data().asFloat(), fused.outputSingle(x).data().asFloat());
    }

    /**
     * The residual trunk held blocked ({@link BlockedTrunk}) against reorders around every plan: the same
     * parameters bit for bit after three data-parallel steps, with every convolution of every block reading its
     * input blocked in every step; and DL4J's own passes afterwards (evaluation through {@code output}) in NCHW.
     */
    @ParameterizedTest
    @ValueSource(strings = {"resdeep:10", "bottleneck:10", "net:1", "skip:1"})
    void blockedTrunkTrainsExactlyAsWithReorders(String archAndReaders) {
        String arch = archAndReaders.split(":")[0];
        int readers = Integer.parseInt(archAndReaders.split(":")[1]);
        ComputationGraph init = Architectures.get(arch).create().seed(6).updater(new Sgd(0.05)).init();
        DataSet batch = batch(64);
        boolean was = Helpers.blockedTrunk(false); // the replicas too
        ComputationGraph reordered = Helpers.accelerate(init.clone(), true);
        try (DataParallel dp = new DataParallel(reordered, 2)) {
            for (int step = 0; step < 3; step++) {
                dp.fit(batch, 9 + step);
            }
        } finally {
            Helpers.blockedTrunk(was);
        }
        ComputationGraph blocked = Helpers.accelerate(init.clone(), true);
        OneDnnSubsamplingLayer start = assertInstanceOf(OneDnnSubsamplingLayer.class, blocked.getLayer("conv1_pool"));
        assertNotNull(start.trunk(), arch + ": a trunk starts at conv1_pool");
        List<String> reading = new ArrayList<>();
        try (DataParallel dp = new DataParallel(blocked, 2)) {
            for (int step = 0; step < 3; step++) {
                dp.fit(batch, 9 + step);
                for (Layer l : blocked.getLayers()) { // the calling thread's slice: blocked is worker 0's replica
                    if (l instanceof OneDnnConvolutionLayer c && c.trunkLast()) {
                        reading.add(step + ":" + l.conf().getLayer().getLayerName());
                    }
                }
            }
        }
        assertEquals(3 * readers, reading.size(), arch + ": each convolution reading the trunk read it blocked in "
                + "every step: " + reading);
        assertNotEquals(0.0, Transforms.abs(init.params().sub(blocked.params())).maxNumber().doubleValue());
        assertArrayEquals(reordered.params().data().asFloat(), blocked.params().data().asFloat(), arch + ": bit for bit");
        assertEquals(reordered.score(), blocked.score(), 0.0);
        INDArray x = batch(100).getFeatures();
        assertArrayEquals(reordered.outputSingle(x).data().asFloat(), blocked.outputSingle(x).data().asFloat());
        assertArrayEquals(reordered.outputSingle(x).data().asFloat(), Helpers.outputOnly(blocked, x).data().asFloat());
    }

    @Test
    void anArrayMadeOutsideTheTrunkFailsInside() {
        ComputationGraph g = Helpers.accelerate(Architectures.get("resdeep").create().seed(4).init(), true);
        BlockedTrunk trunk = assertInstanceOf(OneDnnSubsamplingLayer.class, g.getLayer("conv1_pool")).trunk();
        assertNotNull(trunk, "resdeep has a trunk");
        INDArray made = trunk.mark(Nd4j.rand(DataType.FLOAT, 2, 32, 16, 16));
        trunk.check(made, "a test");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> trunk.check(made.dup(), "res1_add"));
        assertTrue(e.getMessage().contains("conv1_pool") && e.getMessage().contains("res1_add"), e.getMessage());
        assertNull(trunk.layout(), "no pass is open outside a split step");
        for (String notInside : List.of("dropout")) { // dropout layers read its pooling outputs
            ComputationGraph other = Helpers.accelerate(Architectures.get(notInside).create().seed(4).init(), true);
            for (Layer l : other.getLayers()) {
                assertFalse(l instanceof OneDnnSubsamplingLayer p && p.trunk() != null, notInside + ": no trunk");
            }
        }
    }

    @Test
    void aFusedReluThatReceivesAnotherArrayFails() {
        ComputationGraph g = Helpers.accelerate(Architectures.get("resdeep").create().seed(4).init(), true);
        LeanActivationLayer relu = assertInstanceOf(LeanActivationLayer.class, g.getLayer("res1_conv_act"));
        FusedRelu link = FusedRelu.of(g, g.getLayer("res1_conv_bn"));
        assertNotNull(link, "res1's batch norm is linked to its ReLU");
        INDArray handed = Nd4j.rand(DataType.FLOAT, 2, 32, 16, 16);
        link.give(handed);
        assertTrue(link.take(handed, "a test"), "the array handed over is taken");
        assertFalse(link.take(handed, "a test"), "taking ends the hand-over");
        link.give(handed);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> link.take(handed.dup(), "res1_conv_act"));
        assertTrue(e.getMessage().contains("res1_conv_bn") && e.getMessage().contains("res1_conv_act"), e.getMessage());
        assertSame(relu, g.getLayer("res1_conv_act"));
    }

    @Test
    void fastReluBackpropIsDl4jsOnViewsAndSignedZeros() {
        float[] values = {-2f, -0f, 0f, Float.MIN_VALUE, 1e-30f, 3f, -Float.MIN_VALUE, -1e-30f};
        INDArray big = Nd4j.createFromArray(values).reshape(2, 4);
        INDArray eps = Nd4j.createFromArray(new float[] {9f, 8f, 7f, 6f, 5f, 4f, 3f, 2f}).reshape(2, 4).getRow(1, true);
        for (int row = 0; row < 2; row++) {
            INDArray z = big.getRow(row, true); // row 1: a view at offset 4
            INDArray expected = new ActivationReLU().backprop(z.dup(), eps.dup()).getFirst();
            assertEquals(expected, new FastReLU().backprop(z, eps).getFirst(), "row " + row);
        }
        assertArrayEquals(new float[] {0f, 0f, 0f, 2f}, new FastReLU().backprop(big.getRow(0, true), eps).getFirst()
                .toFloatVector(), "-0 and +0 block, the smallest positive float passes");
    }

    private static DataSet batch(int size) {
        return InMemoryIterator.inOrder(RealData.cifar2().test(), Normalization.CIFAR, size).next();
    }

    @Test
    void ompThreadsAreSetPerCallingThread() throws Exception {
        int before = Backend.setOmpThreadsOfThisThread(5);
        try {
            int[] seenByOther = new int[2];
            Thread t = new Thread(() -> {
                seenByOther[0] = Backend.setOmpThreadsOfThisThread(3);
                seenByOther[1] = Backend.setOmpThreadsOfThisThread(3);
            });
            t.start();
            t.join();
            assertNotEquals(5, seenByOther[0], "another thread does not see this thread's setting of 5");
            assertEquals(3, seenByOther[1], "the other thread's own setting holds for it");
            assertEquals(5, Backend.setOmpThreadsOfThisThread(5), "the other thread's 3 did not change this thread's 5");
        } finally {
            Backend.setOmpThreadsOfThisThread(before);
        }
    }
}
