package io.cnnlab;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The {@code ./cnnlab} launcher, run on a stand-in jar that reports what the script gave its JVM. */
class LauncherScriptTest {

    /** Stands in for cnnlab.jar: prints the settings the launcher is for, exits with its first argument. */
    public static final class Probe {
        public static void main(String[] args) {
            System.out.println("arenas=" + System.getenv("MALLOC_ARENA_MAX"));
            System.out.println("maxHeapMb=" + Runtime.getRuntime().maxMemory() / (1 << 20));
            System.out.println("hugePages=" + ManagementFactory.getRuntimeMXBean().getInputArguments()
                    .contains("-XX:+UseTransparentHugePages"));
            System.out.println("heapNearUse=" + ManagementFactory.getRuntimeMXBean().getInputArguments()
                    .containsAll(java.util.List.of("-XX:GCTimeRatio=4", "-XX:MinHeapFreeRatio=10", "-XX:MaxHeapFreeRatio=30")));
            try {
                System.out.println("jemalloc=" + Files.readString(Path.of("/proc/self/maps")).contains("/libjemalloc"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            System.out.println("args=" + String.join("|", args));
            System.exit(Integer.parseInt(args[0]));
        }
    }

    private record Run(int exit, String out) {
    }

    private static Path installWithProbeJar(Path dir) throws IOException {
        Path script = dir.resolve("cnnlab");
        Files.copy(Path.of("cnnlab"), script);
        Path jar = Files.createDirectories(dir.resolve("target")).resolve("cnnlab.jar");
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, Probe.class.getName());
        String entry = Probe.class.getName().replace('.', '/') + ".class";
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out, manifest);
             InputStream cls = Probe.class.getClassLoader().getResourceAsStream(entry)) {
            j.putNextEntry(new JarEntry(entry));
            cls.transferTo(j);
            j.closeEntry();
        }
        return script;
    }

    private static Run run(Path script, Map<String, String> env, String... args) throws Exception {
        String[] cmd = new String[args.length + 2];
        cmd[0] = "bash";
        cmd[1] = script.toString();
        System.arraycopy(args, 0, cmd, 2, args.length);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().remove("MALLOC_ARENA_MAX");
        pb.environment().remove("CNNLAB_JAVA_OPTS");
        pb.environment().remove("CNNLAB_MALLOC");
        pb.environment().remove("LD_PRELOAD");
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Run(p.waitFor(), out);
    }

    @Test
    void runsTheJarWithTwoMallocArenasAOneGigabyteHeapHugePagesAndAHeapNearItsUse(@TempDir Path dir) throws Exception {
        Path script = installWithProbeJar(dir);
        Run r = run(script, Map.of(), "3", "two words", "--flag");
        assertEquals(3, r.exit(), "the JVM's exit code comes through: " + r.out());
        assertTrue(r.out().contains("arenas=2"), r.out());
        assertTrue(r.out().contains("hugePages=true"), r.out());
        assertTrue(r.out().contains("heapNearUse=true"), r.out());
        assertTrue(r.out().contains("args=3|two words|--flag"), "arguments pass through unchanged: " + r.out());
        long heap = Long.parseLong(r.out().replaceAll("(?s).*maxHeapMb=(\\d+).*", "$1"));
        assertTrue(heap > 900 && heap <= 1024, "about 1 GB of heap, got " + heap + " MB");
    }

    @Test
    void theUserCanOverrideBothSettings(@TempDir Path dir) throws Exception {
        Path script = installWithProbeJar(dir);
        Run r = run(script, Map.of("MALLOC_ARENA_MAX", "4", "CNNLAB_JAVA_OPTS", "-Xmx256m"), "0");
        assertEquals(0, r.exit(), r.out());
        assertTrue(r.out().contains("arenas=4"), r.out());
        assertTrue(r.out().contains("hugePages=false"), r.out());
        assertTrue(r.out().contains("heapNearUse=false"), r.out());
        long heap = Long.parseLong(r.out().replaceAll("(?s).*maxHeapMb=(\\d+).*", "$1"));
        assertTrue(heap <= 256, "the user's heap, got " + heap + " MB");
    }

    /** Where the launcher looks for jemalloc; CI installs it (.ci/run), so there the preloading is tested. */
    private static boolean jemallocInstalled() {
        boolean found = Stream.of("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib",
                "/usr/local/lib").anyMatch(d -> Files.isRegularFile(Path.of(d, "libjemalloc.so.2")));
        assertTrue(found || !"true".equals(System.getenv("CI")), "CI must install jemalloc (libjemalloc2) for this test");
        return found;
    }

    @Test
    void preloadsJemallocWhereInstalledUnlessTheUserSaysOtherwise(@TempDir Path dir) throws Exception {
        Path script = installWithProbeJar(dir);
        boolean installed = jemallocInstalled();
        Run r = run(script, Map.of(), "0");
        assertEquals(0, r.exit(), r.out());
        assertTrue(r.out().contains("jemalloc=" + installed), "jemalloc installed: " + installed + "; " + r.out());

        r = run(script, Map.of("CNNLAB_MALLOC", "glibc"), "0");
        assertTrue(r.out().contains("jemalloc=false"), r.out());
        // A user's own preload is kept as it is, not joined by jemalloc
        Path own = Files.createFile(dir.resolve("not-a-library.so"));
        r = run(script, Map.of("LD_PRELOAD", own.toString()), "0");
        assertTrue(r.out().contains("jemalloc=false"), r.out());
    }

    @Test
    void aMissingJarSaysHowToBuildIt(@TempDir Path dir) throws Exception {
        Path script = dir.resolve("cnnlab");
        Files.copy(Path.of("cnnlab"), script);
        Run r = run(script, Map.of(), "train");
        assertEquals(2, r.exit(), r.out());
        assertTrue(r.out().contains("not found") && r.out().contains("mvn -B package"), r.out());
    }
}
