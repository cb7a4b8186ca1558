package io.cnnlab.model;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Building, initialising and running every architecture changes no global state of the JVM. Checked in
 * a fresh JVM ({@link GlobalStateProbe}): in this one, other tests have already applied cnnlab's settings.
 */
class NoSideEffectsTest {
    @TempDir
    Path tmp;

    @Test
    void everyArchitectureBuildsInitialisesAndRunsWithoutChangingGlobalState() throws Exception {
        Path log = tmp.resolve("probe.log");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), GlobalStateProbe.class.getName())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "probe finished");
        String out = Files.readString(log);
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.strip().endsWith("unchanged"), out);
    }
}
