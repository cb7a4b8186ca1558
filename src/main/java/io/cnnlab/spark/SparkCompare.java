package io.cnnlab.spark;

import com.fasterxml.jackson.databind.JsonNode;
import io.cnnlab.UserException;
import io.cnnlab.data.CifarData;
import io.cnnlab.data.Pipeline;
import io.cnnlab.experiment.Comparison;
import io.cnnlab.train.RunMetrics;
import io.cnnlab.train.RunSettings;
import io.cnnlab.train.TrainConfig;
import io.cnnlab.util.AtomicFiles;
import io.cnnlab.util.Json;
import io.cnnlab.util.Words;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaFutureAction;
import org.apache.spark.api.java.JavaSparkContext;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.regex.Pattern;

/**
 * A comparison on Spark, driver side. Every run of the plan not already finished in {@code --out} becomes
 * one Spark job of one task ({@link RunTask}); the jobs are submitted at once, so the cluster runs as many
 * at a time as it has task slots, and each finished run's files are written to its folder in {@code --out}
 * as it arrives (so an interrupted study keeps what it finished). The same reuse rules as a local compare
 * apply: a finished run is reused only when its recorded settings are the ones asked for.
 *
 * <p>The data reaches executors through Spark: a file or folder by {@code SparkContext.addFile}, a URL by
 * each executor's own download; the driver's fingerprint of the data travels with each task.
 */
public final class SparkCompare {
    /** A run's result files, in the order they are written: metrics.json last, as it marks a finished run. */
    public static final List<String> RUN_FILES = List.of("model.zip", "model.json", "metrics.json");

    /** Seconds to wait for a cluster's first executor; settable with --spark-conf. */
    public static final String EXECUTOR_WAIT = "spark.cnnlab.executorWaitSeconds";

    private static final Pattern MASTER = Pattern.compile(
            "local|local\\[(\\d+|\\*)(,\\d+)?]|local-cluster\\[\\d+, *\\d+, *\\d+]|spark://[^/\\s]+|yarn|k8s://\\S+|mesos://\\S+");

    /**
     * How to reach Spark. {@code master} null means the master spark-submit passes ({@code spark.master});
     * {@code conf} are further Spark settings; {@code checkpointDir} a folder every executor sees, or null.
     */
    public record Options(String master, Map<String, String> conf, Path checkpointDir) {
        public Options {
            conf = conf == null ? Map.of() : Map.copyOf(conf);
        }
    }

    /** The comparison's runs in plan order, and the cluster they ran on (null when every run was reused). */
    public record Result(List<RunMetrics> runs, Comparison.Cluster cluster) {
    }

    private final Options options;
    private final SparkConf conf;
    private final PrintStream log;

    private SparkCompare(Options options, SparkConf conf, PrintStream log) {
        this.options = options;
        this.conf = conf;
        this.log = log;
    }

    /** Whether Spark is on the class path (spark-submit, the tests, or {@code exec:java} with compile scope). */
    public static boolean available() {
        try {
            Class.forName("org.apache.spark.SparkContext", false, SparkCompare.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /**
     * Checks the options before anything is loaded or written: the master URL's form, that a {@code spark://}
     * master answers, the executor memory, the checkpoint folder. Returns the ready-to-run comparison.
     */
    public static SparkCompare prepare(Options options, PrintStream log) {
        if (!available()) {
            throw new UserException("--spark needs Spark on the class path: build the Spark jar (mvn -B package -Pspark) and"
                    + " start it with spark-submit --class io.cnnlab.cli.Main target/cnnlab-spark.jar compare ... --spark,"
                    + " or run through Maven: mvn compile exec:java -Dexec.classpathScope=compile -Dexec.args=\"compare ...\"");
        }
        SparkConf conf = new SparkConf(); // reads the spark.* properties spark-submit sets
        options.conf().forEach(conf::set);
        if (options.master() != null && !options.master().isBlank()) {
            conf.setMaster(options.master().strip());
        }
        if (!conf.contains("spark.master")) {
            throw new UserException("--spark without a master URL needs spark-submit's --master; give one: --spark local[2],"
                    + " --spark spark://host:7077");
        }
        String master = conf.get("spark.master");
        if (!MASTER.matcher(master).matches()) {
            throw new UserException("'" + master + "' is not a Spark master URL; give local[N], local-cluster[W,C,MB] or"
                    + " spark://host:port");
        }
        if (master.startsWith("spark://")) {
            requireReachable(master);
        }
        long executorMb = conf.getSizeAsMb("spark.executor.memory", "1g");
        if (executorMb < 450) {
            throw new UserException("spark.executor.memory " + conf.get("spark.executor.memory", "1g") + " is below the 450 MB"
                    + " Spark needs; cnnlab's runs need about 1 GB of heap: --spark-conf spark.executor.memory=1g or more");
        }
        int cpus = conf.getInt("spark.task.cpus", 1);
        if (cpus < 1) {
            throw new UserException("spark.task.cpus must be a positive whole number, got " + cpus);
        }
        if (options.checkpointDir() != null) {
            try {
                Files.createDirectories(options.checkpointDir());
            } catch (IOException e) {
                throw new UserException("cannot create --checkpoint-dir " + options.checkpointDir() + " (" + e.getMessage()
                        + "); give a folder every executor can write, e.g. on a shared filesystem");
            }
        }
        // Each run trains with the cores of its task: executors get as many OpenMP threads (Spark would
        // otherwise set OMP_NUM_THREADS to spark.task.cpus only when unset; explicit is better).
        conf.setIfMissing("spark.executorEnv.OMP_NUM_THREADS", Integer.toString(cpus));
        conf.setIfMissing("spark.app.name", "cnnlab compare");
        // A driver started from cnnlab's own jar ships it to the executors (spark-submit does that itself).
        Path ownJar = ownJar();
        if (ownJar != null && !master.startsWith("local") && !conf.contains("spark.jars")) {
            conf.setJars(new String[] {ownJar.toString()});
        }
        return new SparkCompare(options, conf, log);
    }

    /** The master URL, as it will be used. */
    public String master() {
        return conf.get("spark.master");
    }

    /** Cores each run trains with: Spark's {@code spark.task.cpus}. */
    public int taskCpus() {
        return conf.getInt("spark.task.cpus", 1);
    }

    /** Runs every run of {@code plan} not finished in its {@code out} on Spark; writes each as it finishes. */
    public Result run(Comparison.Plan plan, CifarData data, Pipeline pipeline) {
        int total = plan.archs().size() * plan.seeds();
        Map<String, RunMetrics> done = new LinkedHashMap<>();
        List<TrainConfig> todo = new ArrayList<>();
        int n = 0;
        for (String arch : plan.archs()) {
            for (long seed : plan.seedList()) {
                n++;
                TrainConfig cfg = plan.config(arch, seed);
                Optional<RunMetrics> m = plan.fresh() ? Optional.empty() : Comparison.finished(plan.runDir(arch, seed),
                        RunSettings.of(cfg, data), log, String.format("[%d/%d] %s seed %d", n, total, arch, seed));
                if (m.isPresent()) {
                    done.put(key(arch, seed), m.get());
                } else {
                    todo.add(cfg);
                }
            }
        }
        Comparison.Cluster cluster = todo.isEmpty() ? previousCluster(plan.out()) : runOnSpark(plan, data, pipeline, todo, done);
        List<RunMetrics> runs = new ArrayList<>();
        for (String arch : plan.archs()) {
            for (long seed : plan.seedList()) {
                runs.add(done.get(key(arch, seed)));
            }
        }
        return new Result(runs, cluster);
    }

    private Comparison.Cluster runOnSpark(Comparison.Plan plan, CifarData data, Pipeline pipeline, List<TrainConfig> todo,
                                          Map<String, RunMetrics> done) {
        log.printf("cnnlab: starting Spark (master %s) for %s, %s each%n", master(), Words.count(todo.size(), "run"),
                Words.count(taskCpus(), "core"));
        JavaSparkContext sc;
        try {
            sc = new JavaSparkContext(conf);
        } catch (RuntimeException e) {
            throw new UserException("Spark could not start with master " + master() + " (" + firstLine(e) + "); check the"
                    + " master URL and --spark-conf settings");
        }
        try {
            sc.setLogLevel("WARN");
            awaitExecutors(sc);
            String dataFile = null;
            String dataUrl = null;
            if (plan.data().startsWith("http://") || plan.data().startsWith("https://")) {
                dataUrl = plan.data();
            } else {
                dataFile = ship(sc, Path.of(plan.data()).toAbsolutePath().normalize());
            }
            List<JavaFutureAction<List<RunResult>>> jobs = new ArrayList<>();
            for (TrainConfig cfg : todo) {
                RunTask task = new RunTask(cfg.arch(), cfg.seed(), json(cfg.withOut(null)), plan.dataset(), dataFile, dataUrl,
                        data.fingerprint(), options.checkpointDir() == null ? null
                                : options.checkpointDir().toAbsolutePath().normalize().toString(),
                        plan.fresh(), taskCpus(), pipeline.name());
                sc.setJobDescription("cnnlab " + cfg.arch() + " seed " + cfg.seed());
                jobs.add(sc.parallelize(List.of(task), 1).map(RunTask::call).collectAsync());
            }
            Set<String> executors = new LinkedHashSet<>();
            int finished = 0;
            List<JavaFutureAction<List<RunResult>>> pending = new ArrayList<>(jobs);
            while (!pending.isEmpty()) {
                JavaFutureAction<List<RunResult>> next = pending.stream().filter(JavaFutureAction::isDone).findFirst().orElse(null);
                if (next == null) {
                    Thread.sleep(100);
                    continue;
                }
                pending.remove(next);
                RunResult r;
                try {
                    r = next.get().get(0);
                } catch (ExecutionException e) {
                    sc.cancelAllJobs();
                    throw new IllegalStateException("a Spark task failed for good (" + firstLine(e.getCause()) + ")", e.getCause());
                }
                if (r.error() != null) {
                    sc.cancelAllJobs();
                    throw new UserException("executor " + r.executor() + " (" + r.host() + "), " + r.arch() + " seed " + r.seed()
                            + ": " + r.error() + "; make --data reachable from every executor (a local path, which"
                            + " Spark ships, or a URL they can reach)");
                }
                finished++;
                executors.add(r.executor());
                RunMetrics m = write(plan, data, r);
                done.put(key(r.arch(), r.seed()), m);
                log.printf(Locale.ROOT, "cnnlab: [%d/%d] %s seed %d finished on executor %s (%s)%s in %.1f s: val %.4f%n",
                        finished, todo.size(), r.arch(), r.seed(), r.executor(), r.host(), how(r), r.seconds(), m.valAccuracy());
            }
            return new Comparison.Cluster(master(), sc.version(), executors.size(), sc.defaultParallelism(), taskCpus());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            sc.cancelAllJobs();
            throw new IllegalStateException("interrupted while waiting for Spark", e);
        } finally {
            sc.stop();
        }
    }

    /** What a shipped file's name ends with: Spark would unpack a file that ends in .tar.gz on every executor. */
    static final String SHIPPED = ".cnnlab-data";

    /**
     * Ships the data to the executors through Spark's file server; returns its name there. A file goes under
     * a name Spark does not unpack; {@link ExecutorData} gives it back its own name.
     */
    private static String ship(JavaSparkContext sc, Path data) {
        try {
            if (Files.isDirectory(data)) {
                sc.sc().addFile(data.toUri().toString(), true);
                return data.getFileName().toString();
            }
            // A hard link, else a copy: Spark resolves symbolic links to the target's name.
            Path dir = Files.createTempDirectory("cnnlab-spark-");
            dir.toFile().deleteOnExit();
            Path link = dir.resolve(data.getFileName() + SHIPPED);
            try {
                Files.createLink(link, data);
            } catch (IOException | UnsupportedOperationException e) {
                Files.copy(data, link);
            }
            link.toFile().deleteOnExit();
            sc.addFile(link.toString());
            return data.getFileName().toString();
        } catch (IOException e) {
            throw new UserException("cannot ship " + data + " to the executors (" + e.getMessage() + "); check the folder"
                    + " for temporary files (java.io.tmpdir)");
        }
    }

    private static String how(RunResult r) {
        String attempt = r.attempt() > 0 ? ", attempt " + (r.attempt() + 1) : "";
        return switch (r.start()) {
            case "RESUMED" -> attempt + ", resumed at epoch " + r.resumedAtEpoch();
            case "REUSED" -> attempt + ", found finished in --checkpoint-dir";
            default -> attempt;
        };
    }

    /** Writes a run's files to its folder in {@code --out}, each atomically, metrics.json last. */
    private RunMetrics write(Comparison.Plan plan, CifarData data, RunResult r) {
        Path dir = plan.runDir(r.arch(), r.seed());
        RunMetrics m;
        try {
            m = Json.MAPPER.readValue(r.files().get("metrics.json"), RunMetrics.class);
        } catch (IOException e) {
            throw new IllegalStateException("executor " + r.executor() + " sent unreadable metrics for " + r.arch(), e);
        }
        RunSettings.requireSame(dir, m.settings(), RunSettings.of(plan.config(r.arch(), r.seed()), data),
                "the executor trained another run than was asked for (a stale --checkpoint-dir?); re-run with --fresh");
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UserException("cannot create " + dir + " (" + e.getMessage() + "); check --out's permissions");
        }
        if (plan.fresh()) {
            Comparison.clearRun(dir);
        }
        for (String name : RUN_FILES) {
            byte[] bytes = r.files().get(name);
            AtomicFiles.write(dir.resolve(name), tmp -> Files.write(tmp, bytes));
        }
        return m;
    }

    /**
     * Waits until a cluster's first executor has registered: a standalone master keeps an application whose
     * executors fit on no worker waiting forever, so this is where too little memory shows.
     */
    private void awaitExecutors(JavaSparkContext sc) throws InterruptedException {
        if (master().startsWith("local")) {
            return;
        }
        int seconds = conf.getInt(EXECUTOR_WAIT, 90);
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        while (sc.sc().statusTracker().getExecutorInfos().length < 2) { // the driver counts as one
            if (System.nanoTime() > deadline) {
                throw new UserException("the Spark cluster at " + master() + " started no executor in " + seconds + " s: no"
                        + " worker offers spark.executor.memory=" + conf.get("spark.executor.memory", "1g") + " and "
                        + taskCpus() + " core(s) free; lower --spark-conf spark.executor.memory, or add workers with more"
                        + " memory (or wait longer: --spark-conf " + EXECUTOR_WAIT + "=N)");
            }
            Thread.sleep(200);
        }
    }

    private static void requireReachable(String master) {
        String hosts = master.substring("spark://".length());
        String reason = null;
        for (String hostPort : hosts.split(",")) {
            URI uri;
            try {
                uri = URI.create("spark://" + hostPort.strip());
            } catch (IllegalArgumentException e) {
                throw new UserException("'" + master + "' is not a Spark master URL; give spark://host:port");
            }
            if (uri.getHost() == null || uri.getPort() < 0) {
                throw new UserException("'" + master + "' is not a Spark master URL; give spark://host:port");
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), 5000);
                return;
            } catch (IOException e) {
                reason = e.getMessage();
            }
        }
        throw new UserException("cannot reach the Spark master at " + master + " (" + reason + "); start it, or check the"
                + " host and port (the master's log prints its URL)");
    }

    /** The cluster results.json names, when a re-run reuses every run and starts no Spark. */
    private static Comparison.Cluster previousCluster(Path out) {
        Path results = out.resolve("results.json");
        try {
            JsonNode c = Json.MAPPER.readTree(results.toFile()).get("cluster");
            return c == null ? null : Json.MAPPER.treeToValue(c, Comparison.Cluster.class);
        } catch (IOException e) {
            return null;
        }
    }

    private static String json(TrainConfig cfg) {
        try {
            return Json.MAPPER.writeValueAsString(cfg);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Path ownJar() {
        try {
            Path p = Path.of(SparkCompare.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return Files.isRegularFile(p) && p.toString().endsWith(".jar") ? p : null;
        } catch (Exception e) {
            return null;
        }
    }

    private static String key(String arch, long seed) {
        return arch + "/" + seed;
    }

    private static String firstLine(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return m.lines().findFirst().orElse(m);
    }
}
