package io.cnnlab.train;

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
