package io.cnnlab.experiment;

import io.cnnlab.parallel.DataParallel;
import io.cnnlab.util.AtomicFiles;
import io.cnnlab.train.Checkpoints;
import io.cnnlab.backend.Backend;
import io.cnnlab.train.RunMetrics;
import io.cnnlab.train.Recipe;
import io.cnnlab.train.RunSettings;
import io.cnnlab.train.TrainConfig;
import io.cnnlab.train.Trainer;
import io.cnnlab.util.Json;
import io.cnnlab.util.RunLock;
import io.cnnlab.UserException;
import io.cnnlab.data.CifarData;
import io.cnnlab.data.Pipeline;
import io.cnnlab.model.Architectures;
import io.cnnlab.util.Words;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The notebook's study as one job: every architecture trained under the same budget for each seed,
 * each run in its own folder {@code <out>/<arch>/seed-<seed>/}. A run whose folder already holds its
 * metrics is not trained again, and one with checkpoints is resumed, so an interrupted comparison
 * is finished by re-running the same command; either only when the run's recorded {@link RunSettings}
 * are the ones asked for. Any other run there is an error, unless the plan says {@code fresh}: then
 * every run of the plan is trained anew.
 */
public final class Comparison {

    /** What to compare. {@code learningRate} null means each architecture's profile rate. */
    public record Plan(List<String> archs, String dataset, int epochs, int seeds, long firstSeed, int batchSize,
                       Double learningRate, String data, Path out, int workers, boolean fresh, Recipe recipe, int width) {
        /** A plan at every architecture's default width. */
        public Plan(List<String> archs, String dataset, int epochs, int seeds, long firstSeed, int batchSize,
                    Double learningRate, String data, Path out, int workers, boolean fresh, Recipe recipe) {
            this(archs, dataset, epochs, seeds, firstSeed, batchSize, learningRate, data, out, workers, fresh, recipe, 0);
        }

        public Plan {
            recipe = recipe == null ? Recipe.NOTEBOOK : recipe;
            if (archs.isEmpty()) {
                throw new UserException("no architectures to compare; give --archs a,b,...");
            }
            archs.forEach(Architectures::get);
            if (seeds < 1) {
                throw new UserException("seeds must be a positive whole number, got " + seeds);
            }
        }

        public List<Long> seedList() {
            List<Long> s = new ArrayList<>();
            for (int i = 0; i < seeds; i++) {
                s.add(firstSeed + i);
            }
            return s;
        }

        public double learningRateOf(String arch) {
            return learningRate != null ? learningRate : Profiles.learningRateOf(arch);
        }

        public Path runDir(String arch, long seed) {
            return out.resolve(arch).resolve("seed-" + seed);
        }

        /** The training configuration of one run of the plan, its worker count resolved. */
        public TrainConfig config(String arch, long seed) {
            return new TrainConfig(arch, dataset, epochs, batchSize, learningRateOf(arch), seed, data, runDir(arch, seed),
                    true, workers == 0 ? DataParallel.autoWorkers() : workers, recipe, width);
        }
    }

    /**
     * Where a comparison ran when not on this machine alone: the Spark master, the number of executors that
     * ran its runs, the cores (task slots) the cluster gave it and the cores each run trained with.
     */
    public record Cluster(String master, String sparkVersion, int executors, int cores, int taskCpus) {
    }

    private final PrintStream log;

    private Pipeline pipeline = Pipeline.MEMORY;

    public Comparison(PrintStream log) {
        this.log = log;
    }

    /** How training batches are made (default {@link Pipeline#MEMORY}); the results are the same either way. */
    public Comparison pipeline(Pipeline p) {
        this.pipeline = p;
        return this;
    }

    private static final String FIX = "re-run with --fresh to train it again, or choose another --out";

    /** Runs (or reuses) every run of the plan; returns their metrics in plan order. */
    public List<RunMetrics> run(Plan plan, CifarData data, String dataSource, double loadSeconds) {
        List<RunMetrics> all = new ArrayList<>();
        int total = plan.archs().size() * plan.seeds();
        int n = 0;
        for (String arch : plan.archs()) {
            for (long seed : plan.seedList()) {
                n++;
                Path dir = plan.runDir(arch, seed);
                try (RunLock lock = RunLock.acquire(dir)) {
                    String label = String.format("[%d/%d] %s seed %d", n, total, arch, seed);
                    all.add(trainOrReuse(plan.config(arch, seed), plan.fresh(), data, dataSource, loadSeconds, pipeline,
                            log, label).metrics());
                }
            }
        }
        return all;
    }

    /** How a run came to be finished: found finished, resumed from a checkpoint, or trained from its start. */
    public enum Start { REUSED, RESUMED, NEW }

    /** A finished run and how it came to be; {@code resumedAtEpoch} is the 1-based epoch a resumed run went on from. */
    public record Outcome(RunMetrics metrics, Start start, int resumedAtEpoch) {
    }

    /**
     * One run of a comparison in the folder {@code cfg.out()}, which the caller has locked: reused when it
     * holds the run's metrics, resumed when it holds a checkpoint, else trained; the first two only when
     * the recorded settings are the ones asked for (else a {@link UserException}). {@code fresh} clears
     * the folder first. Local and distributed comparisons both run their runs through here.
     */
    public static Outcome trainOrReuse(TrainConfig cfg, boolean fresh, CifarData data, String dataSource,
                                       double loadSeconds, Pipeline pipeline, PrintStream log, String label) {
        Path dir = cfg.out();
        RunSettings asked = RunSettings.of(cfg, data);
        if (fresh) {
            clearRun(dir);
        }
        Optional<Path> checkpoint = new Checkpoints(dir, 2).latest();
        Optional<RunMetrics> done = finished(dir, asked, log, label);
        if (done.isPresent()) {
            return new Outcome(done.get(), Start.REUSED, 0);
        }
        Trainer trainer = new Trainer(log).pipeline(pipeline);
        log.printf("cnnlab: %s, %s, lr %s%n", label, Words.count(cfg.epochs(), "epoch"), cfg.learningRate());
        if (checkpoint.isPresent()) {
            var state = Checkpoints.readState(checkpoint.get());
            RunSettings.requireSame(dir, state.settings(), asked, FIX);
            return new Outcome(finish(trainer.resume(dir, cfg.epochs(), data, dataSource, loadSeconds)), Start.RESUMED,
                    state.epochsDone() + 1);
        }
        return new Outcome(finish(trainer.train(cfg, data, dataSource, loadSeconds)), Start.NEW, 0);
    }

    /**
     * The run's metrics; its network, saved by now, is disposed of here ({@link Backend#dispose}), so that
     * the runs of one comparison do not pile up native memory.
     */
    private static RunMetrics finish(Trainer.Result result) {
        Backend.dispose(result.graph());
        return result.metrics();
    }

    /** Removes a run's results and checkpoints (not its lock, which the caller holds). */
    public static void clearRun(Path dir) {
        try (Stream<Path> entries = Files.list(dir)) {
            for (Path p : (Iterable<Path>) entries::iterator) {
                if (!p.getFileName().toString().equals(".lock")) {
                    AtomicFiles.deleteTree(p);
                }
            }
        } catch (IOException e) {
            throw new UserException("cannot clear " + dir + " for --fresh (" + e.getMessage() + "); check its permissions");
        }
    }

    /**
     * The run {@code dir} holds finished, if it holds one (logged as reused): only when its recorded settings
     * are {@code asked}, else a {@link UserException} naming the differences.
     */
    public static Optional<RunMetrics> finished(Path dir, RunSettings asked, PrintStream log, String label) {
        Path metricsFile = dir.resolve("metrics.json");
        if (!Files.isRegularFile(metricsFile)) {
            return Optional.empty();
        }
        RunMetrics done = read(metricsFile);
        RunSettings.requireSame(dir, done.settings(), asked, FIX);
        log.printf("cnnlab: %s: finished earlier, reusing %s%n", label, metricsFile);
        return Optional.of(done);
    }

    static RunMetrics read(Path metricsFile) {
        try {
            return Json.MAPPER.readValue(metricsFile.toFile(), RunMetrics.class);
        } catch (IOException e) {
            throw new UserException(metricsFile + " is unreadable or was written by an older cnnlab (" + e.getMessage()
                    .lines().findFirst().orElse("") + "); run compare with --fresh to train that run again");
        }
    }
}
