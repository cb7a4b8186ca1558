package io.cnnlab.cli;

import io.cnnlab.UserException;
import io.cnnlab.util.Json;
import io.cnnlab.backend.Backend;
import io.cnnlab.data.DataSources;
import io.cnnlab.model.Architectures;
import io.cnnlab.util.AtomicFiles;
import io.cnnlab.experiment.Benchmark;
import io.cnnlab.util.RuntimeInfo;
import io.cnnlab.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code cnnlab bench}: seconds per epoch, images per second and peak memory of the training loop. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Measure training speed: per architecture --warmup-epochs untimed epochs, then --epochs timed",
            "epochs (median), inference images/s over the validation set, and peak RSS. Run it on a quiet machine."})
public final class BenchCommand implements Callable<Integer> {
    @Option(names = "--archs", split = ",", paramLabel = "A,B,...", description = "Architectures; default net.")
    List<String> archs = List.of("net");
    @picocli.CommandLine.Mixin
    RunOptions options = new RunOptions();
    @Option(names = "--json", paramLabel = "FILE", description = "Also write the results as JSON.")
    Path json;
    // The JIT keeps compiling DL4J's Java side for several epochs, so a small net's epochs keep getting
    // faster for about six (docs/performance.md): steady-state figures need more than the default.
    @Option(names = "--warmup-epochs", paramLabel = "N", description = "Untimed epochs before the timed ones; "
            + "default 1 (the JIT is still compiling after it: use ~6 for steady state).")
    int warmupEpochs = 1;
    @Option(names = "--peer", paramLabel = "SCRIPT", description = "Also time this PyTorch script on the same "
            + "architectures, epochs and data first (bench/pytorch_notebook.py: the notebook's own code), with glibc's "
            + "keep-memory malloc settings, and print both with their ratio.")
    Path peer;
    @Option(names = "--peer-python", paramLabel = "PYTHON", description = "The Python with torch that runs --peer; "
            + "default ${DEFAULT-VALUE}.")
    String peerPython = "/usr/bin/python3";

    @Override
    public Integer call() {
        archs.forEach(Architectures::get);
        String dataset = options.dataset != null ? options.dataset : "cifar2";
        int epochs = options.epochs != null ? options.epochs : 3;
        int batchSize = options.batchSize != null ? options.batchSize : 64;
        long seed = options.seed != null ? options.seed : 42;
        if (epochs < 1) {
            throw new UserException("epochs must be a positive whole number, got " + epochs);
        }
        if (warmupEpochs < 0) {
            throw new UserException("--warmup-epochs must be 0 or more, got " + warmupEpochs);
        }
        String spec = DataSources.resolveSpec(options.data);
        Map<String, Double> peerSeconds = peer == null ? Map.of()
                : PeerBench.run(peerPython, peer, spec, archs, warmupEpochs, epochs, System.out);
        DataSources.Loaded loaded = TrainCommand.load(dataset, spec);
        System.out.printf("cnnlab bench: %s, %,d train images, batch %d, %s pipeline, backend %s, OMP_NUM_THREADS=%s%n", dataset,
                loaded.data().train().size(), batchSize, options.pipeline.name().toLowerCase(java.util.Locale.ROOT),
                Backend.describe(), RuntimeInfo.machine().get("OMP_NUM_THREADS"));
        System.out.printf("data load: %.2f s (%s)%n", loaded.seconds(), loaded.fromCache() ? "cached" : "decoded");
        List<Benchmark.Result> results = Benchmark.runAll(archs, dataset, loaded.data(), warmupEpochs, epochs,
                batchSize, options.learningRate, seed, options.workers(), options.pipeline, System.out);
        if (peer != null) {
            System.out.printf("%n%-11s %10s %10s %7s   (s / epoch; ratio: cnnlab / PyTorch, below 1 is faster)%n",
                    "arch", "cnnlab", "PyTorch", "ratio");
            for (Benchmark.Result r : results) {
                Double p = peerSeconds.get(r.arch());
                System.out.printf("%-11s %10.2f %10s %7s%n", r.arch(), r.medianEpochSeconds(),
                        p == null ? "-" : String.format("%.2f", p),
                        p == null ? "-" : String.format("%.2f", r.medianEpochSeconds() / p));
            }
        }
        if (json != null) {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("peerSecondsPerEpoch", peerSeconds);
            doc.put("machine", RuntimeInfo.machine());
            doc.put("dataLoadSeconds", loaded.seconds());
            doc.put("dataFromCache", loaded.fromCache());
            doc.put("results", results);
            AtomicFiles.write(json, tmp -> Json.MAPPER.writeValue(tmp.toFile(), doc));
            System.out.println("cnnlab: wrote " + json);
        }
        return 0;
    }
}
