package io.cnnlab.parallel;

import io.cnnlab.train.Trainer;
import io.cnnlab.helpers.SyncBatchNorm;
import io.cnnlab.backend.Backend;

import io.cnnlab.data.InMemoryIterator;
import io.cnnlab.data.Normalization;
import io.cnnlab.model.Architectures;
import io.cnnlab.testing.RealData;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.layers.normalization.BatchNormalization;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static io.cnnlab.testing.Exact.assertBitwiseEquals;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Split batches must take the very step DL4J's own fit takes on the whole batch. */
class DataParallelTest {
    @org.junit.jupiter.api.BeforeAll
    static void cnnlabsBackendSettings() {
        io.cnnlab.backend.Backend.configure(); // DL4J's oneDNN helpers on, as the command line has them
    }


    private static ComputationGraph graph(String arch) {
        return Architectures.get(arch).create().seed(7).updater(new Sgd(0.05)).init();
    }

    private static DataSet realBatch(int size, int skip) {
        InMemoryIterator it = new InMemoryIterator(RealData.cifar2().train(), Normalization.CIFAR, size, 5, true);
        it.skipBatches(skip);
        return it.next();
    }

    private static double maxAbsDiff(INDArray a, INDArray b) {
        return Transforms.abs(a.sub(b)).maxNumber().doubleValue();
    }

    /** One SGD step of {@code arch} on the same batch, by DL4J's own {@code fit} and split across 2 workers. */
    private record Step(ComputationGraph whole, ComputationGraph split, double moved, double splitLoss) {
        double diff() {
            return maxAbsDiff(split.params(), whole.params());
        }
    }

    private static Step step(String arch, int size) {
        return step(arch, size, 2);
    }

    private static Step step(String arch, int size, int workers) {
        return step(graph(arch), size, workers);
    }

    /** One SGD step of {@code whole} by DL4J's own {@code fit}, and of a clone of it split across workers. */
    private static Step step(ComputationGraph whole, int size, int workers) {
        ComputationGraph split = whole.clone();
        INDArray before = whole.params().dup();
        DataSet batch = realBatch(size, 3);
        // DL4J's step on the thread counts a split step gives the calling thread (one OpenBLAS thread; one OpenMP
        // thread with more than one worker): other counts sum in another order and round differently.
        Nd4j.factory().blas().setMaxThreads(1);
        int ompBefore = workers > 1 ? Backend.setOmpThreadsOfThisThread(1) : -1;
        try {
            whole.fit(batch);
        } finally {
            if (ompBefore > 0) {
                Backend.setOmpThreadsOfThisThread(ompBefore);
            }
        }
        try (DataParallel dp = new DataParallel(split, workers)) {
            double loss = dp.fit(batch, 11);
            return new Step(whole, split, maxAbsDiff(whole.params(), before), loss);
        }
    }

    /** The largest difference in probabilities between whole-batch and split training of {@code arch} after 20 steps. */
    private static double driftAfterTwentySteps(String arch) {
        ComputationGraph whole = graph(arch);
        ComputationGraph split = whole.clone();
        try (DataParallel dp = new DataParallel(split, 2)) {
            for (int b = 0; b < 20; b++) {
                DataSet batch = realBatch(64, b);
                whole.fit(batch);
                dp.fit(batch, b);
            }
        }
        DataSet probe = realBatch(256, 1);
        return maxAbsDiff(whole.outputSingle(probe.getFeatures()), split.outputSingle(probe.getFeatures()));
    }

    @Test
    void splitStepEqualsTheWholeBatchStepForEvenAndUnevenBatches() {
        for (int size : new int[] {64, 37}) {
            Step s = step("net", size);
            assertTrue(s.moved() > 1e-4, "the step changes the parameters");
            assertTrue(s.diff() < 1e-3 * s.moved(), "batch " + size + ": split step differs from the whole-batch step by "
                    + s.diff() + " (step size " + s.moved() + ")");
            assertEquals(s.whole().score(), s.splitLoss(), 1e-5, "mean loss over the whole batch");
            assertEquals(1, s.split().getConfiguration().getIterationCount());
        }
    }

    @Test
    void splitTrainingFollowsWholeBatchTrainingOverManySteps() {
        // Batch norm amplifies float rounding; per-slice statistics (ghost batch norm) measured 0.043 here.
        Map<String, Double> tolerance = Map.of("width", 1e-3, "batchnorm", 5e-3);
        tolerance.forEach((arch, tol) -> {
            double diff = driftAfterTwentySteps(arch);
            assertTrue(diff < tol, arch + ": after 20 steps the two nets' probabilities differ by " + diff);
        });
    }

    @Test
    void splitTrainingIsRepeatableWithDropout() {
        INDArray[] finals = new INDArray[2];
        for (int run = 0; run < 2; run++) {
            ComputationGraph g = graph("dropout");
            try (DataParallel dp = new DataParallel(g, 2)) {
                for (int b = 0; b < 5; b++) {
                    dp.fit(realBatch(64, b), 100 + b);
                }
            }
            finals[run] = g.params().dup();
        }
        assertBitwiseEquals(finals[0], finals[1], "same seeds, same slices: bitwise the same parameters");
    }

    private static String firstBatchNorm(ComputationGraph g) {
        for (Layer l : g.getLayers()) {
            if (l instanceof BatchNormalization) {
                return l.conf().getLayer().getLayerName();
            }
        }
        throw new AssertionError("no batch norm layer");
    }

    @Test
    void batchNormSplitStepEqualsTheWholeBatchStepRunningStatisticsIncluded() {
        for (String arch : new String[] {"batchnorm", "resdeep"}) {
            for (int size : new int[] {64, 37}) {
                Step s = step(arch, size);
                assertTrue(s.diff() < 1e-3 * s.moved(), arch + ", batch " + size + ": split step differs from the"
                        + " whole-batch step by " + s.diff() + " (step size " + s.moved() + ")");
                String bn = firstBatchNorm(s.whole());
                INDArray runningMean = s.whole().getLayer(bn).getParam("mean");
                assertTrue(runningMean.sumNumber().doubleValue() != 0, "the running mean moved");
                assertTrue(maxAbsDiff(s.split().getLayer(bn).getParam("mean"), runningMean)
                        < 1e-4 * Transforms.abs(runningMean).maxNumber().doubleValue(), arch + ": running mean counted once");
                assertEquals(s.whole().score(), s.splitLoss(), 1e-4, arch + ": mean loss over the whole batch");
            }
        }
    }

    @Test
    void oneWorkerOrABatchSmallerThanTheWorkerCountTakesDl4jsOwnStep() {
        for (Step s : new Step[] {step("batchnorm", 1, 2), step("net", 64, 1), step("batchnorm", 37, 1)}) {
            assertTrue(s.moved() > 1e-4, "the step changes the parameters");
            assertBitwiseEquals(s.whole().params(), s.split().params(), "DL4J's own step, bitwise");
            assertEquals(1, s.split().getConfiguration().getIterationCount());
        }
    }

    @Test
    @Timeout(value = 300, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a wait at an exchange is not interruptible
    void theCallingThreadIsAWorkerOnlyDuringASplitStep() {
        // The calling thread computes slice 0. After a split step, and after a failed one, its batch norm
        // must be DL4J's own again: a one-image batch (DL4J's step on this thread) would otherwise wait
        // at an exchange for a worker that never comes, and the test would time out.
        ComputationGraph whole = graph("batchnorm");
        ComputationGraph split = whole.clone();
        INDArray before = whole.params().dup();
        DataSet first = realBatch(64, 2);
        DataSet one = realBatch(1, 5);
        DataSet last = realBatch(64, 7);
        DataSet badLabels = new DataSet(first.getFeatures(), Nd4j.zeros(64, 3));
        for (DataSet b : new DataSet[] {first, one, last}) {
            whole.fit(b);
        }
        try (DataParallel dp = new DataParallel(split, 2)) {
            dp.fit(first, 1);
            dp.fit(one, 2);
            assertThrows(RuntimeException.class, () -> dp.fit(badLabels, 3), "3 label columns for 2 classes");
            dp.fit(last, 4);
        }
        double moved = maxAbsDiff(whole.params(), before);
        double diff = maxAbsDiff(split.params(), whole.params());
        assertTrue(diff < 1e-3 * moved, "split steps differ from DL4J's by " + diff + " (steps moved " + moved + ")");
        assertEquals(3, split.getConfiguration().getIterationCount(), "the failed step took no step");
    }

    @Test
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aBatchNormHelperFailingInOneWorkerAbortsTheStepWithTheLayersName() {
        // DL4J catches a helper's exception and falls back to its own code, so without the exchange's
        // failure record the other worker would wait at the exchange for ever, and the step would count.
        for (int failing : new int[] {1, 0}) {
            ComputationGraph g = graph("batchnorm");
            String bn = firstBatchNorm(g);
            INDArray before = g.params().dup();
            try (DataParallel dp = new DataParallel(g, 2)) {
                RuntimeException fault = new IllegalStateException("injected fault");
                dp.batchNorm().injectFailure(failing, fault);
                RuntimeException e = assertThrows(RuntimeException.class, () -> dp.fit(realBatch(64, 1), 1));
                assertTrue(e.getMessage().contains("'" + bn + "'") && e.getMessage().contains("worker " + failing),
                        e.getMessage());
                assertSame(fault, e.getCause(), "the cause is kept");
                assertBitwiseEquals(before, g.params(), "worker " + failing + ": the failed step changed nothing");
                assertEquals(0, g.getConfiguration().getIterationCount(), "and counted no iteration");
            }
        }
    }

    @Test
    void everyArchitectureUsesOneWorkerPerCoreByDefault() {
        assertEquals(Math.min(4, Runtime.getRuntime().availableProcessors()), DataParallel.autoWorkers());
    }

    @Test
    void workBetweenStepsRunsWithTheOpenMpThreadsTheCallerHadBeforeTraining() {
        // The per-epoch evaluation runs there: on the one OpenMP thread of a training step it would leave
        // the workers' cores idle.
        int before = Backend.setOmpThreadsOfThisThread(2);
        try {
            for (int workers : new int[] {2, 1}) {
                try (DataParallel dp = new DataParallel(graph("net"), workers)) {
                    int inStep = ompThreads();
                    int[] between = new int[1];
                    dp.betweenSteps(() -> between[0] = ompThreads());
                    assertEquals(workers == 1 ? 2 : 1, inStep, workers + " worker(s): the threads of a step");
                    assertEquals(2, between[0], workers + " worker(s): the caller's threads between steps");
                    assertEquals(inStep, ompThreads(), workers + " worker(s): a step's threads again afterwards");
                }
                assertEquals(2, ompThreads(), "the caller's threads after training");
            }
        } finally {
            Backend.setOmpThreadsOfThisThread(before);
        }
    }

    /**
     * Steps whose slices the workers build themselves ({@code InMemoryIterator.Batch}) are the steps taken on the
     * whole batches, bit for bit, dropout included; each slice is built on the thread that computes it.
     */
    @Test
    void stepsFromSlicesBuiltByTheWorkersAreTheStepsFromWholeBatches() {
        for (String arch : new String[] {"net", "dropout"}) {
            ComputationGraph wholeGraph = graph(arch);
            ComputationGraph slicedGraph = wholeGraph.clone();
            InMemoryIterator whole = new InMemoryIterator(RealData.cifar2().train(), Normalization.CIFAR, 64, 5, true);
            InMemoryIterator sliced = new InMemoryIterator(RealData.cifar2().train(), Normalization.CIFAR, 64, 5, true);
            Set<String> builders = ConcurrentHashMap.newKeySet();
            Set<String> ranges = ConcurrentHashMap.newKeySet();
            try (DataParallel a = new DataParallel(wholeGraph, 2); DataParallel b = new DataParallel(slicedGraph, 2)) {
                for (int step = 0; step < 3; step++) {
                    a.fit(whole.next(), 40 + step);
                    InMemoryIterator.Batch batch = sliced.nextBatch(64);
                    b.fit(batch.size(), (lo, hi) -> {
                        builders.add(Thread.currentThread().getName());
                        ranges.add(lo + "-" + hi);
                        return batch.slice(lo, hi);
                    }, 40 + step);
                }
            }
            assertEquals(Set.of(Thread.currentThread().getName(), "cnnlab-worker"), builders,
                    arch + ": the calling thread and the worker build their own slices");
            assertEquals(Set.of("0-32", "32-64"), ranges, arch + ": one half of each batch per worker");
            assertBitwiseEquals(wholeGraph.params(), slicedGraph.params(), arch + ": the same parameters");
            assertEquals(wholeGraph.score(), slicedGraph.score(), 0.0, arch + ": the same loss");
        }
    }

    /**
     * DL4J's {@code clone()} shares the listener collection: a worker's forward and backward passes would call the
     * caller's listeners from the worker's thread, with the replica as the model, at the same time as the calling
     * thread does (DL4J's StatsListener then fails with a ConcurrentModificationException).
     */
    @Test
    void listenersHearEveryStepFromTheCallingThreadOnTheCallersGraph() {
        ComputationGraph g = graph("batchnorm");
        List<String> heard = Collections.synchronizedList(new ArrayList<>());
        String caller = Thread.currentThread().getName();
        g.setListeners(new BaseTrainingListener() {
            private void heard(String what, Model model) {
                heard.add(what + (model == g ? "" : " on another model")
                        + (Thread.currentThread().getName().equals(caller) ? "" : " on " + Thread.currentThread().getName()));
            }

            @Override
            public void onForwardPass(Model model, Map<String, INDArray> activations) {
                heard("forward", model);
            }

            @Override
            public void onBackwardPass(Model model) {
                heard("backward", model);
            }

            @Override
            public void onGradientCalculation(Model model) {
                heard("gradient", model);
            }

            @Override
            public void iterationDone(Model model, int iteration, int epoch) {
                heard("done " + iteration, model);
            }
        });
        try (DataParallel dp = new DataParallel(g, 2)) {
            dp.fit(realBatch(1, 0), 0); // too small to split: DL4J's own step
            assertEquals(List.of("forward", "backward", "gradient", "done 0"), heard, "DL4J's own step");
            for (int step = 1; step <= 3; step++) {
                heard.clear();
                dp.fit(realBatch(64, step), step);
                assertEquals(List.of("forward", "backward", "gradient", "done " + step), heard,
                        "a split step, heard as DL4J's own, once, from the calling thread, on the caller's graph");
            }
        }
        assertEquals(1, g.getListeners().size(), "the graph keeps its listener");
        // A listener that reads activations turns the blocked hand-off off on the calling thread only (the
        // workers' activations reach no listener): the steps stay the same, bit for bit.
        ComputationGraph unheard = graph("batchnorm");
        try (DataParallel dp = new DataParallel(unheard, 2)) {
            for (int step = 0; step <= 3; step++) {
                dp.fit(realBatch(step == 0 ? 1 : 64, step), step);
            }
        }
        assertBitwiseEquals(unheard.params(), g.params(), "the same steps with and without the listener");
    }

    /** A layer frozen on the graph (not in its configuration) stays frozen in the workers' replicas. */
    @Test
    void aLayerFrozenOnTheGraphStaysFrozenInASplitStep() {
        ComputationGraph whole = graph("net");
        String first = whole.getLayers()[0].conf().getLayer().getLayerName();
        whole.getVertex(first).setLayerAsFrozen();
        INDArray frozenBefore = whole.getLayer(first).params().dup();
        Step s = step(whole, 64, 2);
        assertBitwiseEquals(frozenBefore, s.split().getLayer(first).params(), "the frozen layer did not move");
        assertTrue(s.moved() > 1e-4, "the step changes the other layers");
        assertTrue(s.diff() < 1e-3 * s.moved(), "split step differs from DL4J's by " + s.diff() + " (step size "
                + s.moved() + ")");
    }

    private static int ompThreads() {
        return org.nd4j.nativeblas.NativeOpsHolder.getInstance().getDeviceNativeOps().ompGetMaxThreads();
    }
}
