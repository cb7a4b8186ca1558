package io.cnnlab.util;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/** Versions baked in at build time, and the process's peak resident memory. */
public final class RuntimeInfo {
    private static final Properties BUILD = new Properties();

    static {
        try (InputStream in = RuntimeInfo.class.getResourceAsStream("/cnnlab.properties")) {
            if (in != null) {
                BUILD.load(in);
            }
        } catch (IOException ignored) {
            // versions then read "unknown"
        }
    }

    private RuntimeInfo() {
    }

    public static String dl4jVersion() {
        return BUILD.getProperty("dl4j.version", "unknown");
    }

    public static String cnnlabVersion() {
        return BUILD.getProperty("cnnlab.version", "unknown");
    }

    /** What machine this is: CPU model, cores, memory, OS and Java; for reports. */
    public static java.util.Map<String, Object> machine() {
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        String cpu = "unknown";
        try {
            cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse(cpu);
        } catch (IOException ignored) {
            // not Linux
        }
        m.put("cpu", cpu);
        m.put("cores", Runtime.getRuntime().availableProcessors());
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
        m.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        m.put("maxHeapBytes", Runtime.getRuntime().maxMemory());
        String omp = System.getenv("OMP_NUM_THREADS");
        m.put("OMP_NUM_THREADS", omp == null ? "(unset)" : omp);
        return m;
    }

    /** Peak resident set size (VmHWM) in bytes, or -1 where /proc is not available. */
    public static long peakRssBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException ignored) {
            // not Linux
        }
        return -1;
    }
}
