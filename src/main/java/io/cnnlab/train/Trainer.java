package io.cnnlab.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.cnnlab.backend.Backend;
import io.cnnlab.data.CifarData;
import io.cnnlab.data.InMemoryIterator;
import io.cnnlab.data.LabeledImages;
import io.cnnlab.data.Normalization;
import io.cnnlab.model.Architectures;
import io.cnnlab.model.ParamCount;
import io.cnnlab.report.Progress;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;

/**
 * The notebook's {@code training_loop} and {@code validate}: plain SGD over shuffled minibatches,
 * the mean training loss logged at epoch 1 and every 10th, then accuracy on the training and
 * validation sets. Writes {@code metrics.json}, {@code model.zip} and {@code model.json} into the
 * run's folder, and a checkpoint after every epoch.
 *
 * <p>The loop feeds DL4J one batch at a time, rather than a whole epoch through
 * {@code fit(iterator)}, so that between any two batches it can stop cleanly (Ctrl-C), check the
 * loss (divergence guard) and re-seed ND4J's random generator from (seed, epoch, batch). With the
 * batch order a function of (seed, epoch) too, a run resumed from any checkpoint continues exactly
 * as the uninterrupted run would have.
 */
public final class Trainer {
    /** cnnlab's JSON files (metrics, model.json, checkpoint state, reports): indented, records and paths built in. */
    public static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSS");

    private final PrintStream log;
    private int keepCheckpoints = 2;
    private List<TrainingListener> listeners = List.of();

    public Trainer(PrintStream log) {
        this.log = log;
    }

    /** How many checkpoints to keep in the run folder (default 2). */
    public Trainer keepCheckpoints(int k) {
        this.keepCheckpoints = k;
        return this;
    }

    /** Extra DL4J listeners, e.g. the training UI's StatsListener. */
    public Trainer listeners(List<TrainingListener> extra) {
        this.listeners = List.copyOf(extra);
        return this;
    }

    /** The result of a run: its metrics and the trained network. */
    public record Result(RunMetrics metrics, ComputationGraph graph) {
    }

    /** A new run of {@code cfg} on {@code data}. */
    public Result train(TrainConfig cfg, CifarData data, String dataSource, double dataLoadSeconds) {
        ComputationGraph graph = newGraph(cfg, data.train().numClasses());
        return run(graph, TrainState.start(cfg), data, dataSource, dataLoadSeconds);
    }

    /** Continues the run in {@code runDir} from its latest checkpoint, optionally to a new epoch count. */
    public Result resume(Path runDir, Integer epochs, CifarData data, String dataSource, double dataLoadSeconds) {
        Path ckpt = new Checkpoints(runDir, keepCheckpoints).latest().orElseThrow(() -> new io.cnnlab.UserException(
                "no checkpoint in " + runDir.resolve("checkpoints") + "; nothing to resume (start a new run instead)"));
        TrainState s = Checkpoints.readState(ckpt);
        TrainConfig c = s.config().withOut(runDir);
        if (epochs != null) {
            c = c.withEpochs(epochs);
        }
        if (c.workers() == 0) {
            c = c.withWorkers(autoWorkers());
        }
        // The same run only on the same data and code; --epochs may extend it.
        RunSettings.requireSame(runDir, s.settings() == null ? null : s.settings().withEpochs(c.epochs()),
                RunSettings.of(c, data), "resume it with the data and cnnlab version it was made with, or start a new"
                        + " run with another --out");
        s = new TrainState(c, s.epochsDone(), s.batchesDone(), s.lossSum(), s.trainLoss(), s.epochSeconds(),
                s.secondsInEpoch(), RunSettings.of(c, data));
        log.printf("cnnlab: resuming from %s (epoch %d, batch %d)%n", ckpt, s.epochsDone() + 1, s.batchesDone());
        return run(ModelFiles.load(ckpt.resolve("model.zip"), true), s, data, dataSource, dataLoadSeconds);
    }

    static ComputationGraph newGraph(TrainConfig cfg, int numClasses) {
        Backend.configure();
        return Architectures.get(cfg.arch()).create()
                .numClasses(numClasses)
                .seed(cfg.seed())
                .updater(new Sgd(cfg.learningRate()))
                .init();
    }

    /**
     * The default worker count for {@code graph}: one per core, at most 4 (slices under 16 images
     * gain nothing), on the CPU backend; 1 on a GPU.
     */
    public static int autoWorkers() {
        if (!"CPU".equalsIgnoreCase(Backend.name())) {
            return 1;
        }
        return Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
    }

    private Result run(ComputationGraph graph, TrainState start, CifarData data, String dataSource, double loadSeconds) {
        Backend.accelerate(graph);
        TrainConfig cfg = start.config();
        if (cfg.workers() == 0) {
            cfg = cfg.withWorkers(autoWorkers());
        }
        RunSettings settings = start.settings() != null ? start.settings() : RunSettings.of(cfg, data);
        LabeledImages train = data.train();
        graph.setListeners(listeners);
        Checkpoints checkpoints = cfg.out() == null ? null : new Checkpoints(cfg.out(), keepCheckpoints);
        InMemoryIterator it = new InMemoryIterator(train, Normalization.CIFAR, cfg.batchSize(), cfg.seed(), true);
        List<Double> trainLoss = new ArrayList<>(start.trainLoss());
        List<Double> seconds = new ArrayList<>(start.epochSeconds());
        int batch = start.batchesDone();
        double lossSum = start.lossSum();
        double secondsBefore = start.secondsInEpoch();
        StopSignal.install();
        try (DataParallel steps = new DataParallel(graph, cfg.workers())) {
            for (int epoch = start.epochsDone(); epoch < cfg.epochs(); epoch++) {
                it.setEpoch(epoch);
                it.skipBatches(batch);
                long t0 = System.nanoTime();
                try (Progress bar = Progress.of(String.format("Epoch %d/%d", epoch + 1, cfg.epochs()),
                        it.batchesPerEpoch(), " it", 1)) {
                    bar.step(batch);
                    while (it.hasNext()) {
                        if (StopSignal.requested()) {
                            double elapsed = secondsBefore + (System.nanoTime() - t0) / 1e9;
                            stopped(graph, checkpoints, new TrainState(cfg, epoch, batch, lossSum, trainLoss, seconds, elapsed,
                                    settings));
                        }
                        DataSet next = it.next();
                        double loss = steps.fit(next, randomSeed(cfg.seed(), epoch, batch));
                        // Free the batch's native memory now: left to the GC, which runs seldom
                        // because the Java objects are small, it piled up (RSS grew epoch after epoch).
                        next.getFeatures().close();
                        next.getLabels().close();
                        if (cfg.nanGuard() && !Double.isFinite(loss)) {
                            throw new TrainingStopped(String.format("training diverged: the loss became %s in epoch %d, "
                                    + "iteration %d, at learning rate %s; %s lower --lr, or pass --no-nan-guard",
                                    loss, epoch + 1, batch + 1, cfg.learningRate(),
                                    checkpoints == null || checkpoints.latest().isEmpty() ? "no checkpoint was written;"
                                            : "the last good checkpoint is " + checkpoints.latest().get() + ";"),
                                    TrainingStopped.DIVERGED);
                        }
                        lossSum += loss;
                        batch++;
                        bar.step(1);
                        if ((batch & 15) == 0) {
                            bar.extra(String.format("loss %.4f", lossSum / batch));
                        }
                    }
                }
                trainLoss.add(lossSum / batch);
                seconds.add(secondsBefore + (System.nanoTime() - t0) / 1e9);
                if (epoch == 0 || (epoch + 1) % 10 == 0 || epoch + 1 == cfg.epochs()) {
                    log.printf("%s Epoch %d, Training loss %s%n", LocalDateTime.now().format(STAMP), epoch + 1, lossSum / batch);
                }
                batch = 0;
                lossSum = 0;
                secondsBefore = 0;
                if (checkpoints != null) {
                    checkpoints.save(graph, new TrainState(cfg, epoch + 1, 0, 0.0, trainLoss, seconds, 0.0, settings));
                }
            }
        }
        double trainAcc = accuracy(graph, train, cfg.batchSize());
        double valAcc = accuracy(graph, data.test(), cfg.batchSize());
        log.printf("Accuracy train: %.2f%n", trainAcc);
        log.printf("Accuracy val: %.2f%n", valAcc);

        RunMetrics metrics = new RunMetrics(cfg.arch(), cfg.dataset(), train.classNames(), cfg.epochs(),
                cfg.batchSize(), cfg.learningRate(), cfg.seed(), ParamCount.trainable(graph), trainLoss, seconds,
                trainAcc, valAcc, Backend.describe(), RuntimeInfo.dl4jVersion(), RuntimeInfo.cnnlabVersion(),
                dataSource, loadSeconds, RuntimeInfo.peakRssBytes(), cfg.workers(), settings);
        if (cfg.out() != null) {
            save(cfg.out(), graph, metrics);
        }
        return new Result(metrics, graph);
    }

    private void stopped(ComputationGraph graph, Checkpoints checkpoints, TrainState state) {
        StopSignal.clear();
        if (checkpoints == null) {
            throw new TrainingStopped("training interrupted (no run folder, nothing saved)", TrainingStopped.INTERRUPTED);
        }
        Path saved = checkpoints.save(graph, state);
        throw new TrainingStopped(String.format("training interrupted in epoch %d after batch %d; checkpoint saved to %s."
                + " Resume with: cnnlab train --resume %s", state.epochsDone() + 1, state.batchesDone(), saved,
                state.config().out()), TrainingStopped.INTERRUPTED);
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

    /** Writes model.zip (with updater state), model.json and metrics.json, each atomically. */
    public static void save(Path out, ComputationGraph graph, RunMetrics m) {
        AtomicFiles.write(out.resolve("model.zip"), tmp -> ModelSerializer.writeModel(graph, tmp.toFile(), true));
        ModelInfo info = new ModelInfo(ModelInfo.FORMAT, m.arch(), m.classes(), List.of(3, 32, 32), "RGB",
                Normalization.CIFAR.mean(), Normalization.CIFAR.std(), m.seed(), m.epochs(), m.batchSize(),
                m.learningRate(), "SGD", m.trainableParams(), m.trainAccuracy(), m.valAccuracy(),
                m.dl4jVersion(), m.cnnlabVersion());
        AtomicFiles.write(out.resolve("model.json"), tmp -> JSON.writeValue(tmp.toFile(), info));
        AtomicFiles.write(out.resolve("metrics.json"), tmp -> JSON.writeValue(tmp.toFile(), m));
    }

    /** Creates {@code out} and proves it writable, or fails with a clear message before any training. */
    public static void prepareOut(Path out) {
        try {
            Files.createDirectories(out);
            Path probe = Files.createTempFile(out, ".write-test", ".tmp");
            Files.delete(probe);
        } catch (Exception e) {
            throw new io.cnnlab.UserException("cannot write to out folder " + out + " (" + e.getMessage()
                    + "); choose another --out or fix its permissions");
        }
    }
}
