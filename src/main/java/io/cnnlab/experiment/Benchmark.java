package io.cnnlab.experiment;

import io.cnnlab.train.TrainConfig;
import io.cnnlab.train.Trainer;
import io.cnnlab.util.RuntimeInfo;
import io.cnnlab.backend.Backend;
import io.cnnlab.data.CifarData;
import io.cnnlab.data.Pipeline;
import io.cnnlab.data.InMemoryIterator;
import io.cnnlab.data.Normalization;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

import java.io.OutputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Speed of the real training loop: for each architecture, {@code warmupEpochs} untimed epochs and then
 * {@code epochs} timed epochs through {@link Trainer} (the code path of every run), their median, and
 * inference speed over the validation images after one warm pass.
 */
public final class Benchmark {

    /** One architecture's measurements; {@code peakRssBytes} is the process's peak so far. */
    public record Result(String arch, String dataset, int batchSize, int trainImages, int warmupEpochs,
                         List<Double> epochSeconds, double medianEpochSeconds, double trainImagesPerSecond,
                         double inferImagesPerSecond, long peakRssBytes, String backend, String ompNumThreads,
                         int workers) {
    }

    private Benchmark() {
    }

    public static Result run(String arch, String dataset, CifarData data, int warmupEpochs, int epochs, int batchSize,
                             double lr, long seed, int workers, Pipeline pipeline) {
        TrainConfig cfg = new TrainConfig(arch, dataset, warmupEpochs + epochs, batchSize, lr, seed, "bench", null,
                true, workers);
        Trainer.Result r = new Trainer(new PrintStream(OutputStream.nullOutputStream())).pipeline(pipeline)
                .train(cfg, data, "bench", 0);
        List<Double> timed = r.metrics().epochSeconds().subList(warmupEpochs, warmupEpochs + epochs);
        double median = median(timed);
        ComputationGraph g = r.graph();
        infer(g, data, batchSize);
        long t0 = System.nanoTime();
        int n = infer(g, data, batchSize);
        double inferSeconds = (System.nanoTime() - t0) / 1e9;
        Backend.dispose(g); // before the next architecture's run
        return new Result(arch, dataset, batchSize, data.train().size(), warmupEpochs, List.copyOf(timed), median,
                data.train().size() / median, n / inferSeconds, RuntimeInfo.peakRssBytes(), Backend.describe(),
                String.valueOf(RuntimeInfo.machine().get("OMP_NUM_THREADS")), r.metrics().workers());
    }

    private static int infer(ComputationGraph g, CifarData data, int batchSize) {
        InMemoryIterator it = InMemoryIterator.inOrder(data.test(), Normalization.CIFAR, batchSize);
        int n = 0;
        while (it.hasNext()) {
            DataSet batch = it.next();
            INDArray out = Backend.output(g, batch.getFeatures());
            n += (int) out.size(0);
            out.close();
            batch.getFeatures().close();
            batch.getLabels().close();
        }
        return n;
    }

    static double median(List<Double> xs) {
        double[] a = xs.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(a);
        return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
    }

    public static List<Result> runAll(List<String> archs, String dataset, CifarData data, int warmupEpochs, int epochs,
                                      int batchSize, Double lr, long seed, int workers, Pipeline pipeline,
                                      PrintStream log) {
        List<Result> out = new ArrayList<>();
        for (String arch : archs) {
            double rate = lr != null ? lr : Profiles.learningRateOf(arch);
            Result r = run(arch, dataset, data, warmupEpochs, epochs, batchSize, rate, seed, workers, pipeline);
            log.printf("%-11s %8.2f s/epoch  %9.0f img/s train  %9.0f img/s infer  peak RSS %5.0f MB  %d worker%s%n", arch,
                    r.medianEpochSeconds(), r.trainImagesPerSecond(), r.inferImagesPerSecond(), r.peakRssBytes() / 1e6,
                    r.workers(), r.workers() == 1 ? "" : "s");
            out.add(r);
        }
        return out;
    }
}
