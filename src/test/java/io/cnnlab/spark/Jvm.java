package io.cnnlab.spark;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * Child JVMs on this JVM's class path (cnnlab, its dependencies and Spark), each logging to a file. Every
 * process started here, and every process it starts (executors), is stopped by PID in {@link #stopAll()},
 * which the tests call when they end, failed or not, and a shutdown hook calls if the test JVM ends first.
 */
final class Jvm {
    /** What Spark needs opened on Java 17, as surefire's argLine gives this JVM. */
    static final List<String> SPARK_OPENS = Arrays.stream(("java.lang java.lang.invoke java.lang.reflect java.io java.net java.nio"
            + " java.util java.util.concurrent java.util.concurrent.atomic sun.nio.ch sun.nio.cs sun.security.action"
            + " sun.util.calendar").split(" ")).map(p -> "--add-opens=java.base/" + p + "=ALL-UNNAMED").toList();

    private static final List<Process> STARTED = new CopyOnWriteArrayList<>();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(Jvm::stopAll));
    }

    private Jvm() {
    }

    static Process start(Path log, Map<String, String> env, String mainClass, String... args) throws IOException {
        return start(log, env, List.of(), mainClass, args);
    }

    static Process start(Path log, Map<String, String> env, List<String> jvmOptions, String mainClass, String... args)
            throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx1g");
        cmd.addAll(jvmOptions);
        cmd.add("-Dcnnlab.home=" + System.getProperty("cnnlab.home", "target/cnnlab-home"));
        cmd.addAll(SPARK_OPENS);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass);
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        STARTED.add(p);
        return p;
    }

    /** Runs cnnlab's command line to its end; returns its exit code. */
    static int cnnlab(Path log, Map<String, String> env, String... args) throws Exception {
        Process p = start(log, env, "io.cnnlab.cli.Main", args);
        if (!p.waitFor(10, TimeUnit.MINUTES)) {
            throw new AssertionError("cnnlab " + String.join(" ", args) + " did not end in 10 minutes:\n" + Files.readString(log));
        }
        return p.exitValue();
    }

    /** Stops every process started here and their descendants: SIGTERM, then SIGKILL after 10 s. */
    static void stopAll() {
        for (Process p : STARTED) {
            List<ProcessHandle> all = new ArrayList<>(p.descendants().toList());
            all.add(p.toHandle());
            all.forEach(ProcessHandle::destroy);
            for (ProcessHandle h : all) {
                try {
                    h.onExit().get(10, TimeUnit.SECONDS);
                } catch (Exception e) {
                    h.destroyForcibly();
                }
            }
        }
        STARTED.clear();
    }
}
