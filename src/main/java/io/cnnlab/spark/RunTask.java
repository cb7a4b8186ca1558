package io.cnnlab.spark;

import io.cnnlab.UserException;
import io.cnnlab.backend.Backend;
import io.cnnlab.data.DataSources;
import io.cnnlab.data.Pipeline;
import io.cnnlab.experiment.Comparison;
import io.cnnlab.train.TrainConfig;
import io.cnnlab.util.AtomicFiles;
import io.cnnlab.util.Json;
import io.cnnlab.util.RunLock;
import org.apache.spark.SparkEnv;
import org.apache.spark.SparkFiles;
import org.apache.spark.TaskContext;

import java.io.IOException;
import java.io.PrintStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One run of a comparison as a Spark task, shipped to an executor by the driver. {@link #call()} trains it
 * there through {@link Comparison#trainOrReuse}, as a local compare does, and returns the run's files.
 *
 * <p>Where the run's folder lives decides what a lost executor costs. With {@code checkpointDir} (a folder
 * every executor sees) it is {@code <checkpointDir>/<arch>/seed-<seed>}: a retried task resumes from the
 * last epoch checkpoint there, and a run finished there is reused. Without it, the folder is temporary in
 * Spark's per-application folder and a retried task starts the run again. Both give the same results,
 * because a resumed run equals an uninterrupted one bit for bit.
 *
 * <p>The task trains with {@code cpus} workers (Spark's {@code spark.task.cpus}), each with one OpenMP
 * thread; the driver gives cluster executors {@code OMP_NUM_THREADS} to match.
 *
 * @param configJson  the run's {@link TrainConfig} as JSON, its folder not yet chosen
 * @param dataFile    the data's name among the files Spark ships ({@code SparkFiles}), or null
 * @param dataUrl     else the URL each executor downloads the data from
 * @param fingerprint the driver's {@code CifarData.fingerprint()}: an executor whose data differs refuses to train
 * @param fresh       train anew even where the checkpoint folder holds the run (first attempt only)
 */
record RunTask(String arch, long seed, String configJson, String dataset, String dataFile, String dataUrl,
               String fingerprint, String checkpointDir, boolean fresh, int cpus, String pipeline)
        implements Serializable {

    RunResult call() {
        long t0 = System.nanoTime();
        TaskContext context = TaskContext.get();
        int attempt = context == null ? 0 : context.attemptNumber();
        String executor = SparkEnv.get() == null ? "?" : SparkEnv.get().executorId();
        String host = hostName();
        String label = arch + " seed " + seed;
        try {
            Backend.configure();
            // One worker trains on this thread: give it one OpenMP thread, as DataParallel gives each of its own.
            int ompBefore = cpus == 1 ? Backend.setOmpThreadsOfThisThread(1) : -1;
            try {
                DataSources.Loaded data = ExecutorData.get(this);
                if (!data.data().fingerprint().equals(fingerprint)) {
                    throw new UserException("the data executor " + executor + " read (" + data.source() + ") differs from"
                            + " the driver's");
                }
                boolean temporary = checkpointDir == null;
                Path dir = temporary
                        ? Files.createTempDirectory(Path.of(SparkFiles.getRootDirectory()), "run-")
                        : Path.of(checkpointDir, arch, "seed-" + seed);
                TrainConfig cfg = Json.MAPPER.readValue(configJson, TrainConfig.class).withOut(dir);
                PrintStream log = new PrintStream(new LinePrefixStream(System.out, "[" + label + "] "), true,
                        StandardCharsets.UTF_8);
                Comparison.Outcome outcome;
                try (RunLock lock = RunLock.acquire(dir)) {
                    outcome = Comparison.trainOrReuse(cfg, fresh && attempt == 0, data.data(), data.source(),
                            data.seconds(), Pipeline.valueOf(pipeline), log, label);
                }
                log.close(); // System.out itself stays open: the stream closes only its own line buffer
                Map<String, byte[]> files = new LinkedHashMap<>();
                for (String name : SparkCompare.RUN_FILES) {
                    files.put(name, Files.readAllBytes(dir.resolve(name)));
                }
                if (temporary) {
                    AtomicFiles.deleteTree(dir);
                }
                return new RunResult(arch, seed, files, null, executor, host, attempt, outcome.start().name(),
                        outcome.resumedAtEpoch(), (System.nanoTime() - t0) / 1e9);
            } finally {
                if (ompBefore >= 0) {
                    Backend.setOmpThreadsOfThisThread(ompBefore);
                }
            }
        } catch (UserException e) {
            // Bad input does not get better on a retry: it goes back to the driver as the run's result.
            return new RunResult(arch, seed, Map.of(), e.getMessage(), executor, host, attempt, null, 0,
                    (System.nanoTime() - t0) / 1e9);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "?";
        }
    }
}
