package io.cnnlab.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.cnnlab.UserException;
import io.cnnlab.backend.Backend;
import io.cnnlab.data.CifarData;
import io.cnnlab.data.InMemoryIterator;
import io.cnnlab.data.LabeledImages;
import io.cnnlab.data.Normalization;
import io.cnnlab.model.Architectures;
import io.cnnlab.model.ParamCount;
import io.cnnlab.report.Progress;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.evaluation.classification.Evaluation;
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
 * run's folder.
 */
public final class Trainer {
    public static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSS");

    private final PrintStream log;

    public Trainer(PrintStream log) {
        this.log = log;
    }

    /** The result of a run: its metrics and the trained network. */
    public record Result(RunMetrics metrics, ComputationGraph graph) {
    }

    public Result train(TrainConfig cfg, CifarData data, String dataSource, double dataLoadSeconds) {
        Backend.configure();
        LabeledImages train = data.train();
        ComputationGraph graph = Architectures.get(cfg.arch()).create()
                .numClasses(train.numClasses())
                .seed(cfg.seed())
                .updater(new Sgd(cfg.learningRate()))
                .init();
        long params = ParamCount.trainable(graph);
        InMemoryIterator it = new InMemoryIterator(train, Normalization.CIFAR, cfg.batchSize(), cfg.seed(), true);
        EpochLossListener losses = new EpochLossListener();
        losses.nanGuard(cfg.nanGuard());
        graph.setListeners(losses);

        List<Double> trainLoss = new ArrayList<>();
        List<Double> seconds = new ArrayList<>();
        for (int epoch = 1; epoch <= cfg.epochs(); epoch++) {
            it.setEpoch(epoch - 1);
            long t0 = System.nanoTime();
            try (Progress bar = Progress.of(String.format("Epoch %d/%d", epoch, cfg.epochs()),
                    it.batchesPerEpoch(), " it", 1)) {
                losses.startEpoch(bar);
                graph.fit(it);
            } catch (EpochLossListener.DivergenceException e) {
                throw new UserException(String.format("training diverged: the loss became %s in epoch %d, iteration %d"
                        + " at learning rate %s; lower --lr (or pass --no-nan-guard to continue anyway)",
                        e.loss, epoch, e.iteration, cfg.learningRate()));
            }
            seconds.add((System.nanoTime() - t0) / 1e9);
            trainLoss.add(losses.meanLoss());
            if (epoch == 1 || epoch % 10 == 0 || epoch == cfg.epochs()) {
                log.printf("%s Epoch %d, Training loss %s%n", LocalDateTime.now().format(STAMP), epoch, losses.meanLoss());
            }
        }
        double trainAcc = accuracy(graph, train, cfg.batchSize());
        double valAcc = accuracy(graph, data.test(), cfg.batchSize());
        log.printf("Accuracy train: %.2f%n", trainAcc);
        log.printf("Accuracy val: %.2f%n", valAcc);

        RunMetrics metrics = new RunMetrics(cfg.arch(), cfg.dataset(), train.classNames(), cfg.epochs(),
                cfg.batchSize(), cfg.learningRate(), cfg.seed(), params, trainLoss, seconds, trainAcc, valAcc,
                Backend.describe(), RuntimeInfo.dl4jVersion(), RuntimeInfo.cnnlabVersion(), dataSource,
                dataLoadSeconds, RuntimeInfo.peakRssBytes());
        if (cfg.out() != null) {
            save(cfg.out(), graph, metrics);
        }
        return new Result(metrics, graph);
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
            throw new UserException("cannot write to out folder " + out + " (" + e.getMessage()
                    + "); choose another --out or fix its permissions");
        }
    }
}
