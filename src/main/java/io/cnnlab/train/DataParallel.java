package io.cnnlab.train;

import io.cnnlab.backend.Backend;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.layers.normalization.BatchNormalization;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Synchronous data parallelism inside each minibatch: the batch is cut into one contiguous slice per
 * worker, each worker thread computes its slice's gradient on its own replica of the network with
 * one OpenMP thread, and the summed gradient goes through DL4J's updater once: one SGD step on the
 * whole batch, as the notebook takes it.
 *
 * <p>Why not DL4J's ParallelWrapper: it averages parameters (or shares quantised gradients) between
 * workers that each take whole batches, a different training algorithm, and it measured no faster
 * on 2 cores. Here DL4J's losses are sums until the updater divides by the batch size, so the slice
 * gradients add up to the batch gradient (up to float rounding order). What differs from one worker:
 * dropout masks come from one generator per worker. Batch normalisation would see per-slice
 * statistics, so {@link #supports} refuses graphs that have it.
 *
 * <p>With one worker a step is simply DL4J's {@code fit} on the calling thread. With more, the step
 * itself is DL4J's {@code StochasticGradientDescent.optimize}: the graph's own updater
 * (whose state is what checkpoints save), then {@code params -= update}, the iteration count, and
 * the listeners' {@code iterationDone}.
 */
public final class DataParallel implements AutoCloseable {
    private final ComputationGraph main;
    private final List<ComputationGraph> replicas = new ArrayList<>();
    private final List<ExecutorService> threads = new ArrayList<>();
    private final int mainOmpThreads;

    public DataParallel(ComputationGraph graph, int workers) {
        if (workers < 1) {
            throw new IllegalArgumentException("workers must be positive, got " + workers);
        }
        this.main = graph;
        // The notebook nets' dense layers are gemms of at most ~1M multiply-adds: OpenBLAS's worker
        // threads gain nothing there and spin (sched_yield) on the other core (profiled: 17% of a step).
        Nd4j.factory().blas().setMaxThreads(1);
        if (workers == 1) {
            this.mainOmpThreads = -1;
            return;
        }
        if (!supports(graph)) {
            throw new IllegalArgumentException("graphs with batch normalisation train on one worker");
        }
        replicas.add(graph);
        for (int k = 0; k < workers; k++) {
            if (k > 0) {
                replicas.add(Backend.accelerate(graph.clone()));
            }
            ExecutorService t = Executors.newSingleThreadExecutor(run -> {
                Thread th = new Thread(run, "cnnlab-worker");
                th.setDaemon(true);
                return th;
            });
            t.submit(() -> Backend.setOmpThreadsOfThisThread(1));
            threads.add(t);
        }
        graph.getUpdater(); // created once, here, as fit() would
        // Every thread gets one OpenMP thread, this one too: an idle OpenMP team spin-waits and takes a core.
        this.mainOmpThreads = Backend.setOmpThreadsOfThisThread(1);
    }

    /** Whether {@code graph} trains the same way split across workers (it has no batch normalisation). */
    public static boolean supports(ComputationGraph graph) {
        for (Layer l : graph.getLayers()) {
            if (l instanceof BatchNormalization) {
                return false;
            }
        }
        return true;
    }

    /** One SGD step on {@code batch}; returns its mean loss. Worker k seeds dropout from {@code seed} and k. */
    public double fit(DataSet batch, long seed) {
        if (replicas.isEmpty()) {
            Nd4j.getRandom().setSeed(seed);
            main.fit(batch);
            return main.score();
        }
        int n = (int) batch.getFeatures().size(0);
        int workers = replicas.size();
        INDArray params = main.params();
        List<Future<Double>> pending = new ArrayList<>();
        int[] sizes = new int[workers];
        int from = 0;
        for (int k = 0; k < workers; k++) {
            int lo = from;
            int hi = (int) ((long) n * (k + 1) / workers);
            sizes[k] = hi - lo;
            from = hi;
            ComputationGraph r = replicas.get(k);
            if (k > 0) {
                r.params().assign(params);
            }
            long workerSeed = seed + k * 0x9E3779B97F4A7C15L;
            pending.add(threads.get(k).submit(() -> {
                Nd4j.getRandom().setSeed(workerSeed);
                r.setInputs(batch.getFeatures().get(NDArrayIndex.interval(lo, hi)).dup());
                r.setLabels(batch.getLabels().get(NDArrayIndex.interval(lo, hi)).dup());
                r.computeGradientAndScore();
                return r.score();
            }));
        }
        double loss = 0;
        INDArray gradient = main.getFlattenedGradients();
        for (int k = 0; k < workers; k++) {
            loss += await(pending.get(k)) * sizes[k];
            if (k > 0) {
                gradient.addi(replicas.get(k).getFlattenedGradients());
            }
        }
        int iteration = main.getConfiguration().getIterationCount();
        int epoch = main.getConfiguration().getEpochCount();
        main.getUpdater().update(main.gradient(), iteration, epoch, n, LayerWorkspaceMgr.noWorkspaces());
        params.subi(gradient.reshape(params.shape()));
        main.getConfiguration().setIterationCount(iteration + 1);
        main.setScore(loss / n);
        for (TrainingListener listener : main.getListeners()) {
            listener.iterationDone(main, iteration, epoch);
        }
        return loss / n;
    }

    private static double await(Future<Double> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a training worker", e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
        }
    }

    @Override
    public void close() {
        if (threads.isEmpty()) {
            return;
        }
        // Workspaces are per thread and replicas hold native buffers: free both now rather than at
        // some later GC, so that runs in one JVM (compare, bench) do not pile up native memory.
        for (ExecutorService t : threads) {
            t.submit(() -> Nd4j.getWorkspaceManager().destroyAllWorkspacesForCurrentThread());
            t.shutdown();
        }
        for (ExecutorService t : threads) {
            try {
                t.awaitTermination(1, java.util.concurrent.TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        replicas.subList(1, replicas.size()).forEach(ComputationGraph::close);
        Backend.setOmpThreadsOfThisThread(mainOmpThreads);
    }
}
