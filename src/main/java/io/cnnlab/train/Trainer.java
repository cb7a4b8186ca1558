package io.cnnlab.train;

import io.cnnlab.UserException;
import io.cnnlab.backend.Backend;
import io.cnnlab.data.CifarData;
import io.cnnlab.data.EpochBatches;
import io.cnnlab.data.InMemoryIterator;
import io.cnnlab.data.LabeledImages;
import io.cnnlab.data.Normalization;
import io.cnnlab.data.Pipeline;
import io.cnnlab.inference.ModelFiles;
import io.cnnlab.model.Architectures;
import io.cnnlab.model.ParamCount;
import io.cnnlab.parallel.DataParallel;
import io.cnnlab.util.RuntimeInfo;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.dataset.DataSet;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The notebook's {@code training_loop} and {@code validate}: plain SGD over shuffled minibatches, then
 * accuracy on the training and validation sets. Writes {@code metrics.json}, {@code model.zip} and
 * {@code model.json} into the run's folder.
 *
 * <p>The loop ({@link #fit}) only sequences epochs and batches; what happens around them is DL4J
 * {@link TrainingListener}s that also work under DL4J's own {@code graph.fit(iterator, epochs)}:
 * {@link EpochHistory} (the training curve), {@link NanGuard}, {@link EpochEvaluation}, {@link NotebookLog},
 * {@link EarlyStopping}, {@link EpochCheckpoint}, {@link StopOnSignal} and {@link ProgressListener}, in
 * that order (each reads what the ones before it recorded). The loop feeds one batch
 * at a time, rather than an epoch through {@code fit(iterator)}, to re-seed ND4J's generator from
 * (seed, epoch, batch) before each step: with the batch order a function of (seed, epoch) too, a run
 * resumed from any checkpoint continues exactly as the uninterrupted run would have.
 */
public final class Trainer {
    private final PrintStream log;
    private int keepCheckpoints = 2;
    private List<TrainingListener> extra = List.of();
    private Pipeline pipeline = Pipeline.MEMORY;

    public Trainer(PrintStream log) {
        this.log = log;
    }

    /** How many checkpoints to keep in the run folder (default 2). */
    public Trainer keepCheckpoints(int k) {
        this.keepCheckpoints = k;
        return this;
    }

    /** Extra DL4J listeners, e.g. the training UI's StatsListener; they run before cnnlab's own. */
    public Trainer listeners(List<TrainingListener> listeners) {
        this.extra = List.copyOf(listeners);
        return this;
    }

    /** How training batches are made (default {@link Pipeline#MEMORY}; both give the same batches). */
    public Trainer pipeline(Pipeline p) {
        this.pipeline = p;
        return this;
    }

    /** The result of a run: its metrics and the trained network. */
    public record Result(RunMetrics metrics, ComputationGraph graph) {
    }

    /** A new run of {@code cfg} on {@code data}. */
    public Result train(TrainConfig cfg, CifarData data, String dataSource, double dataLoadSeconds) {
        Backend.configure(); // before the graph exists: its layers pick their oneDNN helpers when created
        ComputationGraph graph = newGraph(cfg, data.train().numClasses());
        return run(graph, TrainState.start(cfg), data, dataSource, dataLoadSeconds);
    }

    /** Continues the run in {@code runDir} from its latest checkpoint, optionally to a new epoch count. */
    public Result resume(Path runDir, Integer epochs, CifarData data, String dataSource, double dataLoadSeconds) {
        Backend.configure();
        Path ckpt = new Checkpoints(runDir, keepCheckpoints).latest().orElseThrow(() -> new UserException(
                "no checkpoint in " + runDir.resolve("checkpoints") + "; nothing to resume (start a new run instead)"));
        TrainState s = Checkpoints.readState(ckpt);
        if (s.config() == null) {
            throw new UserException(ckpt + " was not written by cnnlab's trainer (its state names no run settings);"
                    + " load its model.zip with DL4J instead");
        }
        TrainConfig c = s.config().withOut(runDir);
        if (epochs != null && epochs != c.epochs() && !c.recipe().schedule().equals("constant")) {
            throw new UserException(runDir + " follows a " + c.recipe().schedule() + " learning-rate schedule over "
                    + c.epochs() + " epochs, which --epochs " + epochs + " cannot extend; start a new run instead");
        }
        if (epochs != null) {
            c = c.withEpochs(epochs);
        }
        if (c.workers() == 0) {
            c = c.withWorkers(DataParallel.autoWorkers());
        }
        // The same run only on the same data and code; --epochs may extend it.
        RunSettings.requireSame(runDir, s.settings() == null ? null : s.settings().withEpochs(c.epochs()),
                RunSettings.of(c, data), "resume it with the data and cnnlab version it was made with, or start a new"
                        + " run with another --out");
        s = s.with(c, RunSettings.of(c, data));
        log.printf("cnnlab: resuming from %s (epoch %d, batch %d)%n", ckpt, s.epochsDone() + 1, s.batchesDone());
        return run(ModelFiles.load(ckpt.resolve("model.zip"), true), s, data, dataSource, dataLoadSeconds);
    }

    static ComputationGraph newGraph(TrainConfig cfg, int numClasses) {
        return Architectures.get(cfg.arch()).create()
                .baseWidth(cfg.baseWidth())
                .numClasses(numClasses)
                .seed(cfg.seed())
                .updater(cfg.recipe().updater(cfg.learningRate(), cfg.epochs()))
                .weightDecay(cfg.recipe().weightDecay())
                .init();
    }

    private Result run(ComputationGraph graph, TrainState start, CifarData data, String dataSource, double loadSeconds) {
        Backend.accelerate(graph);
        TrainConfig cfg = start.config().workers() == 0
                ? start.config().withWorkers(DataParallel.autoWorkers()) : start.config();
        RunSettings settings = start.settings() != null ? start.settings() : RunSettings.of(cfg, data);
        RunFolder folder = cfg.out() == null ? null : new RunFolder(cfg.out());
        Checkpoints checkpoints = folder == null ? null : folder.checkpoints(keepCheckpoints);
        EpochBatches it = pipeline.batches(data.train(), Normalization.CIFAR, cfg.batchSize(), cfg.seed(),
                cfg.recipe().augmentation(), cfg.recipe().labelSmoothing());

        EpochHistory history = new EpochHistory(start);
        Supplier<TrainState> state = () -> history.state(cfg, settings);
        List<TrainingListener> listeners = new ArrayList<>(extra);
        listeners.add(history); // first of cnnlab's: the others read it
        if (cfg.nanGuard()) {
            listeners.add(new NanGuard(() -> divergenceAdvice(checkpoints)).startingAtBatch(start.batchesDone()));
        }
        listeners.add(new EpochEvaluation(history, data.train(), data.test(), Normalization.CIFAR, cfg.batchSize()));
        listeners.add(new NotebookLog(log, history, cfg.epochs()));
        listeners.add(new NativeMemoryRelease()); // after the evaluation: the first one sizes its workspaces
        EarlyStopping earlyStop = cfg.recipe().earlyStop() == 0 ? null : new EarlyStopping(history,
                cfg.recipe().earlyStop(), folder == null ? null : folder.dir().resolve("best-model.zip"));
        if (earlyStop != null) {
            listeners.add(earlyStop); // after the log, before the checkpoint: a stopping epoch needs none
        }
        EpochCheckpoint checkpoint = checkpoints == null ? null : new EpochCheckpoint(checkpoints, state);
        if (checkpoint != null) {
            listeners.add(checkpoint);
        }
        listeners.add(new StopOnSignal(checkpoint));
        boolean stoppedEarly = false;
        StopSignal.install();
        try (ProgressListener progress = new ProgressListener(history, it.batchesPerEpoch(), start.epochsDone(),
                cfg.epochs()).startingAtBatch(start.batchesDone())) {
            listeners.add(progress);
            graph.setListeners(listeners);
            try (DataParallel steps = new DataParallel(graph, cfg.workers())) {
                fit(graph, steps, it, cfg.seed(), start.epochsDone(), start.batchesDone(), cfg.epochs());
            } catch (EarlyStopping.Stop stop) {
                log.println("cnnlab: " + stop.getMessage() + "; keeping that epoch's model");
                earlyStop.restoreBest(graph);
                stoppedEarly = true;
            }
        }
        double trainAcc = accuracy(graph, data.train(), cfg.batchSize());
        // The last epoch's evaluation already measured these parameters on the validation set.
        List<Double> evaluated = history.curves().valAccuracy();
        double valAcc = stoppedEarly || evaluated.size() != cfg.epochs() ? accuracy(graph, data.test(), cfg.batchSize())
                : evaluated.get(evaluated.size() - 1);
        log.printf("Accuracy train: %.2f%n", trainAcc);
        log.printf("Accuracy val: %.2f%n", valAcc);

        RunMetrics metrics = new RunMetrics(settings, ParamCount.trainable(graph),
                history.curves(), trainAcc, valAcc,
                new RunMetrics.Environment(Backend.describe(), RuntimeInfo.dl4jVersion(), RuntimeInfo.cnnlabVersion(),
                        dataSource, loadSeconds, RuntimeInfo.peakRssBytes()));
        if (folder != null) {
            folder.save(graph, metrics);
        }
        return new Result(metrics, graph);
    }

    /**
     * The loop: from batch {@code fromBatch} of epoch {@code fromEpoch} to the end of epoch {@code epochs},
     * one SGD step per batch, telling the graph's listeners where epochs start and end as DL4J's
     * {@code fit(iterator)} does, and keeping DL4J's epoch counter (which schedules read) right.
     */
    static void fit(ComputationGraph graph, DataParallel steps, EpochBatches batches, long seed,
                    int fromEpoch, int fromBatch, int epochs) {
        for (int epoch = fromEpoch; epoch < epochs; epoch++) {
            graph.getConfiguration().setEpochCount(epoch);
            batches.setEpoch(epoch);
            int batch = epoch == fromEpoch ? fromBatch : 0;
            batches.skipBatches(batch);
            graph.getListeners().forEach(l -> l.onEpochStart(graph));
            for (; batches.hasNext(); batch++) {
                if (batches instanceof InMemoryIterator memory && memory.sliceable()) {
                    // Each worker builds its own slice (InMemoryIterator.Batch): the batch's normalisation is then
                    // not serial work of the step.
                    InMemoryIterator.Batch slices = memory.nextBatch(memory.batch());
                    steps.fit(slices.size(), slices::slice, randomSeed(seed, epoch, batch));
                    continue;
                }
                DataSet next = batches.next();
                steps.fit(next, randomSeed(seed, epoch, batch));
                // Free the batch's native memory now: left to the GC, which runs seldom because the
                // Java objects are small, it piles up (RSS grows epoch after epoch).
                next.getFeatures().close();
                next.getLabels().close();
            }
            steps.betweenSteps(() -> graph.getListeners().forEach(l -> l.onEpochEnd(graph)));
        }
        graph.getConfiguration().setEpochCount(epochs);
    }

    private static String divergenceAdvice(Checkpoints checkpoints) {
        return (checkpoints == null || checkpoints.latest().isEmpty() ? "no checkpoint was written;"
                : "the last good checkpoint is " + checkpoints.latest().get() + ";") + " lower --lr, or pass --no-nan-guard";
    }

    /** The seed of ND4J's generator for one batch (dropout masks), a function of (seed, epoch, batch) only. */
    static long randomSeed(long seed, int epoch, int batch) {
        long h = seed * 0x9E3779B97F4A7C15L + epoch * 0xBF58476D1CE4E5B9L + batch * 0x94D049BB133111EBL;
        return h ^ (h >>> 31);
    }

    /** Accuracy of {@code graph} on {@code images}, with DL4J's {@link Evaluation}. */
    public static double accuracy(ComputationGraph graph, LabeledImages images, int batchSize) {
        Evaluation ev = graph.evaluate(InMemoryIterator.inOrder(images, Normalization.CIFAR, batchSize));
        return ev.accuracy();
    }
}
