package io.cnnlab.parallel;

import io.cnnlab.helpers.SyncBatchNorm;
import io.cnnlab.backend.Backend;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.deeplearning4j.nn.layers.FrozenLayer;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BiFunction;

/**
 * Synchronous data parallelism inside each minibatch: the batch is cut into one contiguous slice per
 * worker, each worker (the calling thread for the first slice, a pool thread for each other) computes
 * its slice's gradient on its own replica of the network with one OpenMP thread, and the summed
 * gradient goes through DL4J's updater once: one SGD step on the whole batch, as the notebook takes it.
 *
 * <p>Why not DL4J's ParallelWrapper: it averages parameters (or shares quantised gradients) between
 * workers that each take whole batches, a different training algorithm, and it measured no faster
 * on 2 cores. Here DL4J's losses are sums until the updater divides by the batch size, so the slice
 * gradients add up to the batch gradient (up to float rounding order). Batch-norm layers normalise
 * with the whole batch's statistics through {@link SyncBatchNorm}. What differs from one worker:
 * dropout masks come from one generator per worker.
 *
 * <p>A batch comes whole ({@link #fit(DataSet, long)}) or as a function that builds any slice of it
 * ({@link #fit(int, BiFunction, long)}); then each worker builds its own slice, at the same time as the others.
 *
 * <p>With one worker a step is simply DL4J's {@code fit} on the calling thread. With more, the step
 * itself is DL4J's {@code StochasticGradientDescent.optimize}: the graph's own updater
 * (whose state is what checkpoints save), then {@code params -= update}, the iteration count, and
 * the listeners' {@code onGradientCalculation} and {@code iterationDone}. The listeners hear a split step in
 * the order DL4J's own step has, from the calling thread only, on the caller's graph: {@code onForwardPass} and
 * {@code onBackwardPass} are those of the calling thread's slice; {@code onGradientCalculation} sees the whole
 * batch's gradient.
 */
public final class DataParallel implements AutoCloseable {
    /** How long {@link #close} waits for each worker thread to finish its last task. */
    static final long CLOSE_WAIT_SECONDS = 60;
    private final ComputationGraph main;
    private final List<ComputationGraph> replicas = new ArrayList<>();
    private final List<ExecutorService> threads = new ArrayList<>();
    private final int mainOmpThreads;
    private final int blasThreadsBefore;
    private SyncBatchNorm.Group batchNorm;

    public DataParallel(ComputationGraph graph, int workers) {
        if (workers < 1) {
            throw new IllegalArgumentException("workers must be positive, got " + workers);
        }
        this.main = graph;
        // The notebook nets' dense layers are gemms of at most ~1M multiply-adds: OpenBLAS's worker
        // threads gain nothing there and spin (sched_yield) on the other core.
        // OpenBLAS's thread count is process-wide: close() gives the host program its own back.
        this.blasThreadsBefore = Nd4j.factory().blas().getMaxThreads();
        Nd4j.factory().blas().setMaxThreads(1);
        if (workers == 1) {
            this.mainOmpThreads = -1;
            return;
        }
        replicas.add(graph);
        // The calling thread computes slice 0 itself: one thread fewer to hand work to and wake
        // (a futex wake-up per step, and its latency, on the path of every step).
        for (int k = 1; k < workers; k++) {
            replicas.add(Backend.accelerate(replica(graph)));
            ExecutorService t = Executors.newSingleThreadExecutor(run -> {
                Thread th = new Thread(run, "cnnlab-worker");
                th.setDaemon(true);
                return th;
            });
            t.submit(() -> {
                Backend.setOmpThreadsOfThisThread(1);
                SyncBatchNorm.markWorkerThread(true);
            });
            threads.add(t);
        }
        batchNorm = SyncBatchNorm.Group.install(replicas);
        graph.getUpdater(); // created once, here, as fit() would
        // Every thread gets one OpenMP thread, this one too: an idle OpenMP team spin-waits and takes a core.
        this.mainOmpThreads = Backend.setOmpThreadsOfThisThread(1);
    }

    /**
     * A worker's copy of {@code graph}: its configuration, a copy of its parameters, its frozen layers, and no
     * listeners. DL4J's {@code clone()} gives the copy the original's own listener collection, so every worker
     * would call the caller's listeners' {@code onForwardPass}, {@code onBackwardPass} and
     * {@code onGradientCalculation} from its own thread, with the replica as the model, while the calling thread
     * calls them too; DL4J's {@code StatsListener}, for one, fails then. The listeners hear each step from the
     * calling thread, on {@code graph}. A replica needs no updater either: the step's update runs once, on
     * {@code graph}.
     */
    private static ComputationGraph replica(ComputationGraph graph) {
        ComputationGraph r = new ComputationGraph(graph.getConfiguration().clone());
        r.init(graph.params().dup(), false);
        for (GraphVertex v : graph.getVertices()) {
            if (v.hasLayer() && v.getLayer() instanceof FrozenLayer) {
                r.getVertex(v.getVertexName()).setLayerAsFrozen(); // as clone() does: same gradient layout
            }
        }
        return r;
    }

    /**
     * The default worker count: one per core, at most 4 (slices under 16 images gain nothing), on the
     * CPU backend; 1 on a GPU.
     */
    public static int autoWorkers() {
        if (!"CPU".equalsIgnoreCase(Backend.name())) {
            return 1;
        }
        return Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
    }

    /** The synchronised batch-norm helpers of the replicas (none with one worker); for tests. */
    SyncBatchNorm.Group batchNorm() {
        return batchNorm;
    }

    /**
     * Runs {@code work} on this thread between steps with the OpenMP threads it had before training,
     * e.g. the evaluation after each epoch: the workers are idle then, and one OpenMP thread would
     * leave their cores unused while the inference runs.
     */
    public void betweenSteps(Runnable work) {
        if (mainOmpThreads < 1) {
            work.run(); // one worker: this thread's OpenMP threads were never changed
            return;
        }
        Backend.setOmpThreadsOfThisThread(mainOmpThreads);
        try {
            work.run();
        } finally {
            Backend.setOmpThreadsOfThisThread(1);
        }
    }

    /** One SGD step on {@code batch}; returns its mean loss. Worker k seeds dropout from {@code seed} and k. */
    public double fit(DataSet batch, long seed) {
        int n = (int) batch.getFeatures().size(0);
        if (!splits(n)) {
            return fitWhole(batch, seed);
        }
        return fitSplit(n, (lo, hi) -> new DataSet(batch.getFeatures().get(NDArrayIndex.interval(lo, hi)).dup(),
                batch.getLabels().get(NDArrayIndex.interval(lo, hi)).dup()), seed);
    }

    /**
     * One SGD step on a batch of {@code n} examples whose examples [lo, hi) {@code slices} builds, each slice on
     * the worker that computes it: the workers build their slices at the same time, where a whole batch is built
     * on the calling thread while the others wait. The same step as {@link #fit(DataSet, long)} on the batch
     * the slices make up. Each slice's arrays are closed after use.
     */
    public double fit(int n, BiFunction<Integer, Integer, DataSet> slices, long seed) {
        if (!splits(n)) {
            DataSet whole = slices.apply(0, n);
            try {
                return fitWhole(whole, seed);
            } finally {
                whole.getFeatures().close();
                whole.getLabels().close();
            }
        }
        return fitSplit(n, slices, seed);
    }

    /** Whether a batch of {@code n} is split: more than one worker, and an example for each. */
    private boolean splits(int n) {
        return !replicas.isEmpty() && n >= replicas.size();
    }

    /**
     * One worker, or a batch too small to give every worker an example (an epoch's last batch can be a single
     * image): DL4J's own step on this thread, where batch norm is not synchronised.
     */
    private double fitWhole(DataSet batch, long seed) {
        Nd4j.getRandom().setSeed(seed);
        main.fit(batch);
        return main.score();
    }

    private double fitSplit(int n, BiFunction<Integer, Integer, DataSet> slices, long seed) {
        int workers = replicas.size();
        INDArray params = main.params();
        List<Future<Double>> pending = new ArrayList<>();
        int[] from = new int[workers + 1];
        for (int k = 1; k <= workers; k++) {
            from[k] = (int) ((long) n * k / workers);
        }
        for (int k = 1; k < workers; k++) {
            ComputationGraph r = replicas.get(k);
            r.params().assign(params);
            int lo = from[k];
            int hi = from[k + 1];
            long workerSeed = seed + k * 0x9E3779B97F4A7C15L;
            pending.add(threads.get(k - 1).submit(() -> slice(r, slices, lo, hi, workerSeed)));
        }
        double loss;
        SyncBatchNorm.markWorkerThread(true);
        try {
            loss = slice(main, slices, 0, from[1], seed) * from[1];
        } catch (RuntimeException | Error e) {
            throw unchecked(finishAfterFailure(pending, e));
        } finally {
            SyncBatchNorm.markWorkerThread(false);
        }
        for (int k = 1; k < workers; k++) {
            loss += await(pending, k - 1) * (from[k + 1] - from[k]);
        }
        RuntimeException batchNormFailure = batchNorm.failure();
        if (batchNormFailure != null) {
            // DL4J caught it and finished that slice with its own, unsynchronised code: discard the step.
            batchNorm.renew();
            throw batchNormFailure;
        }
        INDArray gradient = main.getFlattenedGradients();
        for (int k = 1; k < workers; k++) {
            if (!batchNorm.isEmpty()) {
                SyncBatchNorm.Group.dropRunningStatGradients(replicas.get(k));
            }
            gradient.addi(replicas.get(k).getFlattenedGradients());
        }
        for (TrainingListener listener : main.getListeners()) {
            listener.onGradientCalculation(main); // as DL4J's optimizer: the batch's gradient, before the update
        }
        int iteration = main.getConfiguration().getIterationCount();
        int epoch = main.getConfiguration().getEpochCount();
        main.getUpdater().update(asUpdaterView(main.gradient(), gradient), iteration, epoch, n,
                LayerWorkspaceMgr.noWorkspaces());
        params.subi(gradient.reshape(params.shape()));
        main.getConfiguration().setIterationCount(iteration + 1);
        main.setScore(loss / n);
        for (TrainingListener listener : main.getListeners()) {
            listener.iterationDone(main, iteration, epoch);
        }
        return loss / n;
    }

    /**
     * {@code g} as a gradient whose flattened array is the updater's own view, {@code flat}. DL4J's
     * {@code DefaultGradient.gradient()} returns a new reshape on each call, so the updater never
     * recognises its view and takes its path for external gradients, which makes two array views per
     * parameter per step, on the serial path while the workers wait. Same arithmetic.
     */
    private static Gradient asUpdaterView(Gradient g, INDArray flat) {
        return new DefaultGradient(flat) {
            @Override
            public INDArray gradient() {
                return flat;
            }

            @Override
            public Map<String, INDArray> gradientForVariable() {
                return g.gradientForVariable();
            }
        };
    }

    /** Worker k's share of the step: the gradient and mean loss of examples [lo, hi) on replica {@code r}. */
    private double slice(ComputationGraph r, BiFunction<Integer, Integer, DataSet> slices, int lo, int hi, long seed) {
        try {
            Nd4j.getRandom().setSeed(seed);
            DataSet part = slices.apply(lo, hi);
            r.setInputs(part.getFeatures());
            r.setLabels(part.getLabels());
            r.computeGradientAndScore();
            part.getFeatures().close(); // native memory freed now, not at some later GC
            part.getLabels().close();
            return r.score();
        } catch (RuntimeException | Error e) {
            batchNorm.abort(); // the other workers may wait for this one at a batch-norm exchange
            throw e;
        }
    }

    private double await(List<Future<Double>> pending, int k) {
        try {
            return pending.get(k).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a training worker", e);
        } catch (ExecutionException e) {
            throw unchecked(finishAfterFailure(pending, e.getCause()));
        }
    }

    /**
     * After {@code failure} in one worker: lets the others stop (the failed one released any waiting
     * for it), keeps their own failures as suppressed ones, and readies the exchanges for the next step.
     * Returns what to throw: a batch-norm layer's recorded failure where there is one (a worker that failed
     * there went on with DL4J's own code, whose later failures are its consequences), else {@code failure}.
     */
    private Throwable finishAfterFailure(List<Future<Double>> pending, Throwable failure) {
        for (Future<Double> other : pending) {
            try {
                other.get();
            } catch (ExecutionException later) {
                if (later.getCause() != failure) {
                    failure.addSuppressed(later.getCause());
                }
            } catch (InterruptedException stop) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        RuntimeException batchNormFailure = batchNorm.failure();
        batchNorm.renew();
        if (batchNormFailure != null && batchNormFailure != failure) {
            batchNormFailure.addSuppressed(failure);
            return batchNormFailure;
        }
        return failure;
    }

    /** {@code t} to throw as it is: an error or a runtime exception; any other wrapped. */
    private static RuntimeException unchecked(Throwable t) {
        if (t instanceof Error error) {
            throw error;
        }
        return t instanceof RuntimeException re ? re : new IllegalStateException(t);
    }

    @Override
    public void close() {
        Nd4j.factory().blas().setMaxThreads(blasThreadsBefore);
        if (threads.isEmpty()) {
            return;
        }
        // Workspaces are per thread and replicas hold native buffers: free both now rather than at
        // some later GC, so that runs in one JVM (compare, bench) do not pile up native memory.
        for (ExecutorService t : threads) {
            t.submit(() -> Nd4j.getWorkspaceManager().destroyAllWorkspacesForCurrentThread());
            t.shutdown();
        }
        int running = 0;
        for (int k = 0; k < threads.size(); k++) {
            try {
                if (threads.get(k).awaitTermination(CLOSE_WAIT_SECONDS, java.util.concurrent.TimeUnit.SECONDS)) {
                    Backend.release(replicas.get(k + 1)); // its worker has stopped: nothing uses it now
                    replicas.get(k + 1).close();
                } else {
                    running++;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                running++;
            }
        }
        batchNorm.uninstall();
        Backend.setOmpThreadsOfThisThread(mainOmpThreads);
        if (running > 0) {
            // Their replicas stay open: closing native memory a running thread uses would crash the JVM.
            throw new IllegalStateException(running + " training worker thread(s) still ran " + CLOSE_WAIT_SECONDS
                    + " s after training ended; their replicas were left open");
        }
    }
}
