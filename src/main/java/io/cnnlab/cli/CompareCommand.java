package io.cnnlab.cli;

import io.cnnlab.experiment.Profile;
import io.cnnlab.model.Architectures;
import io.cnnlab.train.RunFolder;
import io.cnnlab.backend.Backend;
import io.cnnlab.data.DataSources;
import io.cnnlab.report.Baseline;
import io.cnnlab.report.ComparisonReport;
import io.cnnlab.experiment.Comparison;
import io.cnnlab.experiment.Profiles;
import io.cnnlab.util.RunLock;
import io.cnnlab.train.RunMetrics;
import io.cnnlab.train.TrainConfig;
import io.cnnlab.UserException;
import io.cnnlab.spark.SparkCompare;
import io.cnnlab.util.Words;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code cnnlab compare}: the notebook's study, every architecture under one budget, with a report. */
@Command(name = "compare", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train several architectures for several seeds under the same budget and write a report:",
            "results.csv, results.json, PNG charts and a self-contained report.html.",
            "Re-running the same command reuses finished runs and resumes interrupted ones, when their settings match."})
public final class CompareCommand implements Callable<Integer> {
    @Option(names = "--archs", split = ",", paramLabel = "A,B,...", description = "Architectures; default all.")
    List<String> archs;
    @Option(names = "--profile", paramLabel = "FILE|NAME", description = "Comparison profile, e.g. notebook (profiles/notebook.yaml).")
    String profile;
    @Option(names = "--seeds", description = "Seeds per architecture (seed, seed+1, ...); default 3.")
    Integer seeds;
    @picocli.CommandLine.Mixin
    RunOptions options = new RunOptions();
    @Option(names = "--out", paramLabel = "DIR", description = "Comparison folder; default runs/compare-<dataset>.")
    Path out;
    @Option(names = "--fresh", description = "Train every run anew, replacing the runs --out holds for them "
            + "(without it, runs made with other settings are an error).")
    boolean fresh;
    @Option(names = "--spark", arity = "0..1", fallbackValue = "", paramLabel = "MASTER",
            description = {"Run each (architecture, seed) as a Spark task: local[N], local-cluster[W,C,MB] or spark://host:port;",
                "without a value, the master spark-submit gives. Results land in --out as a local compare writes them."})
    String spark;
    @Option(names = "--spark-conf", paramLabel = "KEY=VALUE",
            description = "A Spark setting, e.g. spark.task.cpus=2 (cores per run), spark.executor.memory=2g; repeatable.")
    Map<String, String> sparkConf;
    @Option(names = "--baseline", paramLabel = "DIR",
            description = "An earlier compare's folder (its results.json): the report sets its runs beside these, per architecture.")
    Path baseline;
    @Option(names = "--checkpoint-dir", paramLabel = "DIR",
            description = {"With --spark: a folder every executor sees (a shared filesystem) for the runs' checkpoints:",
                "a run whose executor dies resumes there. Without it, such a run starts again."})
    Path checkpointDir;

    @Override
    public Integer call() {
        Profile s = Profile.NOTEBOOK_STUDY.over(profile != null ? Profiles.loadComparison(profile) : Profile.EMPTY)
                .over(options.given()).over(Profile.given("archs", archs, "seeds", seeds));
        List<String> archList = new ArrayList<>(s.archs());
        if (archList.isEmpty()) {
            archList.addAll(Architectures.notebookNames());
        }
        String ds = s.dataset();
        Path dir = (out != null ? out : Path.of(s.out() != null ? s.out() : "runs/compare-" + ds.replace(',', '_')))
                .toAbsolutePath().normalize();
        String spec = DataSources.resolveSpec(s.data());
        Baseline before = baseline == null ? null : Baseline.read(baseline);
        // Spark's settings are checked (and its master reached) before any data is read or file written.
        SparkCompare onSpark = null;
        if (spark != null) {
            if (options.workers() != 0) {
                throw new UserException("--workers does not apply with --spark: each run trains with spark.task.cpus cores;"
                        + " set --spark-conf spark.task.cpus=N");
            }
            onSpark = SparkCompare.prepare(new SparkCompare.Options(spark, sparkConf, checkpointDir), System.out);
        } else if (checkpointDir != null || sparkConf != null) {
            throw new UserException("--checkpoint-dir and --spark-conf apply only with --spark");
        }
        int workers = onSpark != null ? onSpark.taskCpus() : options.workers();
        // Validates epochs, batch size and learning rate as a training run would.
        int width = s.widthOrDefault();
        for (String arch : archList) {
            new TrainConfig(arch, ds, s.epochs(), s.batchSize(), s.learningRate() != null ? s.learningRate() : 1e-2,
                    s.seed(), spec, dir, true, 0, s.recipe(), width);
        }
        Comparison.Plan plan = new Comparison.Plan(archList, ds, s.epochs(), s.seeds(), s.seed(), s.batchSize(),
                s.learningRate(), spec, dir, workers, fresh, s.recipe(), width);

        DataSources.Loaded loaded = TrainCommand.load(ds, spec);
        boolean created = !Files.exists(dir);
        RunFolder.prepare(dir);
        System.out.printf("cnnlab: comparing %s on %s (%,d train / %,d val images), %s x %s, backend %s%n",
                String.join(", ", archList), ds, loaded.data().train().size(), loaded.data().test().size(),
                Words.count(plan.seeds(), "seed"), Words.count(plan.epochs(), "epoch"), Backend.describe());
        List<RunMetrics> runs;
        try {
            runs = compare(dir, plan, loaded, onSpark, options, before);
        } catch (RuntimeException e) {
            if (created) {
                RunFolder.removeIfUnused(dir); // a comparison that failed before its first run leaves no folder
            }
            throw e;
        }
        System.out.println();
        System.out.printf("%-11s %9s  %-15s %-15s %s%n", "arch", "params", "train acc", "val acc", "s/epoch");
        for (ComparisonReport.Summary r : ComparisonReport.summarize(archList, runs)) {
            System.out.printf("%-11s %,9d  %.3f ± %.3f   %.3f ± %.3f   %.2f%n", r.arch(), r.trainableParams(),
                    r.trainAccuracyMean(), r.trainAccuracySd(), r.valAccuracyMean(), r.valAccuracySd(), r.secondsPerEpochMean());
        }
        System.out.println("cnnlab: wrote " + dir.resolve("report.html") + " (and results.csv, results.json, charts)");
        return 0;
    }

    private static List<RunMetrics> compare(Path dir, Comparison.Plan plan, DataSources.Loaded loaded, SparkCompare onSpark,
                                            RunOptions options, Baseline before) {
        List<RunMetrics> runs;
        try (RunLock lock = RunLock.acquire(dir)) {
            if (onSpark != null) {
                SparkCompare.Result r = onSpark.run(plan, loaded.data(), options.pipeline);
                runs = r.runs();
                ComparisonReport.write(dir, plan, runs, r.cluster(), before);
            } else {
                runs = new Comparison(System.out).pipeline(options.pipeline).run(plan, loaded.data(), loaded.source(),
                        loaded.seconds());
                ComparisonReport.write(dir, plan, runs, null, before);
            }
        }
        return runs;
    }
}
