package io.cnnlab.spark;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A real Spark standalone cluster on loopback: a master and {@code workers} workers (1 core, 2 GB each), each
 * a separate JVM started from this JVM's class path, as Spark's own scripts would start them from a Spark
 * install. A fake SPARK_HOME with an empty {@code jars/} and {@code SPARK_DIST_CLASSPATH} give the executors
 * the same class path.
 */
final class StandaloneCluster implements AutoCloseable {
    /** The master's and workers' INFO lines: the tests wait for the one that says a worker has registered. */
    private static final List<String> INFO = List.of("-Dorg.slf4j.simpleLogger.defaultLogLevel=info");

    final String master;
    final Map<String, String> env;
    final List<Process> workers = new ArrayList<>();

    StandaloneCluster(Path dir, int workerCount) throws Exception {
        Path home = Files.createDirectories(dir.resolve("spark-home"));
        Files.createDirectories(home.resolve("jars"));
        env = Map.of("SPARK_HOME", home.toString(), "SPARK_DIST_CLASSPATH", System.getProperty("java.class.path"),
                "SPARK_SCALA_VERSION", "2.12", "SPARK_LOCAL_IP", "127.0.0.1", "OMP_NUM_THREADS", "1");
        int port = freePort();
        master = "spark://127.0.0.1:" + port;
        Path masterLog = dir.resolve("master.log");
        Jvm.start(masterLog, env, INFO, "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port",
                Integer.toString(port), "--webui-port", Integer.toString(freePort()));
        for (int i = 0; i < workerCount; i++) {
            Path log = dir.resolve("worker-" + i + ".log");
            workers.add(Jvm.start(log, env, INFO, "org.apache.spark.deploy.worker.Worker", master, "--host", "127.0.0.1", "--cores",
                    "1", "--memory", "2g", "--webui-port", Integer.toString(freePort()), "--work-dir",
                    Files.createDirectories(dir.resolve("work-" + i)).toString()));
            awaitLine(log, "Successfully registered with master", masterLog);
        }
    }

    /** Executor JVMs the workers have started and that still run. */
    List<ProcessHandle> executors() {
        return workers.stream().flatMap(Process::descendants).filter(ProcessHandle::isAlive)
                .filter(h -> isExecutor(h.pid())).toList();
    }

    /** Whether {@code pid} is a Spark executor JVM (from /proc: ProcessHandle.Info cuts long command lines). */
    static boolean isExecutor(long pid) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")))
                    .contains("CoarseGrainedExecutorBackend");
        } catch (IOException e) {
            return false;
        }
    }

    private static void awaitLine(Path log, String line, Path masterLog) throws Exception {
        long deadline = System.nanoTime() + 180_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (Files.exists(log) && Files.readString(log).contains(line)) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("no '" + line + "' in " + log + " within 180 s:\n" + Files.readString(log) + "\nmaster:\n"
                + Files.readString(masterLog));
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() {
        Jvm.stopAll();
    }
}
