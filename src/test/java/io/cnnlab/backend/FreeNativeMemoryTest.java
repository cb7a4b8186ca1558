package io.cnnlab.backend;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link Backend#freeNativeMemory()} gives glibc's freed heap pages back to the system (off Linux: does nothing). */
class FreeNativeMemoryTest {

    @Test
    void trimReturnsFreedHeapPagesThatGlibcKeeps() throws IOException {
        if (!System.getProperty("os.name").toLowerCase(Locale.ROOT).contains("linux")) {
            // No glibc: the call is documented as a no-op that reports nothing released.
            assertFalse(Backend.freeNativeMemory());
            return;
        }
        // 3,000 blocks of 64 KB: below glibc's mmap threshold, so they come from its heap. All but the last
        // are freed; the last one pins the heap's top, so free() alone cannot give the pages back.
        int blocks = 3000;
        long size = 64 * 1024;
        Pointer[] p = new Pointer[blocks];
        for (int i = 0; i < blocks; i++) {
            p[i] = new Pointer(Native.malloc(size));
            p[i].setMemory(0, size, (byte) 1); // touch every page
        }
        for (int i = 0; i < blocks - 1; i++) {
            Native.free(Pointer.nativeValue(p[i]));
        }
        long before = rssKb();

        assertTrue(Backend.freeNativeMemory(), "malloc_trim found, and it reported memory released");
        long after = rssKb();
        Native.free(Pointer.nativeValue(p[blocks - 1]));

        long freedMb = (before - after) / 1024;
        assertTrue(freedMb > 100, "RSS fell by " + freedMb + " MB (" + before / 1024 + " -> " + after / 1024
                + " MB); ~190 MB of freed blocks were in the heap");
    }

    private static long rssKb() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }
}
