package io.cnnlab.cli;

import io.cnnlab.UserException;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * {@code bench --peer}: runs the notebook's PyTorch code ({@code bench/pytorch_notebook.py}) on the same
 * architectures, epochs and data, as its peer is measured: with glibc's keep-memory malloc settings
 * (without them PyTorch pays page faults on every step; docs/performance.md) and the same oneDNN ISA cap.
 */
final class PeerBench {
    /** glibc's thresholds raised so freed memory is kept: the tuned PyTorch the README compares with. */
    static final Map<String, String> MALLOC = Map.of("MALLOC_MMAP_THRESHOLD_", "268435456",
            "MALLOC_TRIM_THRESHOLD_", "1073741824", "MALLOC_TOP_PAD_", "268435456");
    /**
     * Makes {@code env} the peer's: glibc's keep-memory settings in; jemalloc out of {@code LD_PRELOAD} and
     * {@code MALLOC_ARENA_MAX} unset (what {@code ./cnnlab} sets for cnnlab's JVM). The peer is PyTorch on
     * glibc's malloc tuned that way and nothing else: under jemalloc those settings mean nothing, and two
     * arenas slow PyTorch down (measured in docs/performance.md).
     */
    static void peerEnvironment(Map<String, String> env) {
        env.putAll(MALLOC);
        env.remove("MALLOC_ARENA_MAX");
        String preload = env.get("LD_PRELOAD");
        if (preload != null) {
            String kept = Arrays.stream(preload.split("[\\s:]+")).filter(l -> !l.isEmpty() && !l.contains("jemalloc"))
                    .collect(Collectors.joining(" "));
            if (kept.isEmpty()) {
                env.remove("LD_PRELOAD");
            } else {
                env.put("LD_PRELOAD", kept);
            }
        }
    }

    private static final Pattern RESULT = Pattern.compile("^(\\w+)\\s+([0-9.]+) s/epoch");

    private PeerBench() {
    }

    /** Median seconds per epoch by architecture, as the script prints them; its output is echoed to {@code log}. */
    static Map<String, Double> run(String python, Path script, String data, List<String> archs, int warmup,
                                   int epochs, PrintStream log) {
        if (!Files.isRegularFile(script)) {
            throw new UserException("--peer " + script + " does not exist; give bench/pytorch_notebook.py");
        }
        if (data.startsWith("http")) {
            throw new UserException("--peer needs the data as a local file; pass --data PATH");
        }
        ProcessBuilder pb = new ProcessBuilder(python, script.toString(), "--data", data, "--archs",
                String.join(",", archs), "--epochs", String.valueOf(epochs), "--warmup", String.valueOf(warmup))
                .redirectErrorStream(true);
        peerEnvironment(pb.environment());
        log.println("cnnlab bench: peer " + String.join(" ", pb.command()) + " (with " + String.join(" ", MALLOC.keySet())
                + ")");
        Map<String, Double> seconds = new LinkedHashMap<>();
        StringBuilder output = new StringBuilder();
        int code;
        try {
            Process p = pb.start();
            for (String line : new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                output.append(line).append('\n');
                Matcher m = RESULT.matcher(line);
                if (m.find()) {
                    seconds.put(m.group(1), Double.parseDouble(m.group(2)));
                }
                log.println("  peer: " + line);
            }
            code = p.waitFor();
        } catch (IOException e) {
            throw new UserException("cannot run " + python + " for --peer (" + e.getMessage()
                    + "); install Python 3 with PyTorch (Debian: python3-torch) or pass --peer-python");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the peer benchmark ran", e);
        }
        if (code != 0) {
            String last = output.toString().strip().lines().reduce((a, b) -> b).orElse("no output");
            throw new UserException("the --peer script failed with exit code " + code + " (" + last + "); it needs "
                    + python + " with torch, PIL and numpy (Debian: python3-torch python3-pil)");
        }
        return seconds;
    }
}
