package io.cnnlab.data;

import io.cnnlab.testing.TestImages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DecodedCacheTest {

    @Test
    void roundTripsAndRejectsStaleOrCorruptFiles(@TempDir Path tmp) throws Exception {
        CifarData data = DataSources.decode(TestImages.binaryRelease(tmp.resolve("src")));
        Path file = tmp.resolve("cache/decoded.bin");
        DecodedCache.save(data, "key-1", file);

        CifarData back = DecodedCache.load(file, "key-1").orElseThrow();
        assertArrayEquals(data.train().pixels(), back.train().pixels());
        assertArrayEquals(data.test().labels(), back.test().labels());

        assertFalse(DecodedCache.load(file, "key-2").isPresent(), "another source's cache is stale");
        assertFalse(Files.exists(file), "and is deleted");

        DecodedCache.save(data, "key-1", file);
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length / 2] ^= 1;
        Files.write(file, bytes);
        assertFalse(DecodedCache.load(file, "key-1").isPresent(), "a flipped bit fails the checksum");

        DecodedCache.save(data, "key-1", file);
        byte[] whole = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(whole, whole.length - 9));
        assertFalse(DecodedCache.load(file, "key-1").isPresent(), "a truncated cache is not used");
    }

    @Test
    void changedSourceIsDecodedAgainAndItsOldCacheFileDeleted(@TempDir Path tmp) throws Exception {
        Path src = TestImages.binaryRelease(tmp.resolve("src"));
        Path other = TestImages.binaryRelease(tmp.resolve("src2"));
        DataSources sources = new DataSources(tmp.resolve("home"));
        assertFalse(sources.load(src.toString()).fromCache());
        assertTrue(sources.load(src.toString()).fromCache());
        assertFalse(sources.load(other.toString()).fromCache());
        Path cache = tmp.resolve("home/cache");
        List<Path> before = cacheFiles(cache);
        assertEquals(2, before.size(), "one cache file per source");
        Files.write(src.resolve("test_batch.bin"), TestImages.binaryBatch(1, 1));
        Files.setLastModifiedTime(src.resolve("test_batch.bin"), java.nio.file.attribute.FileTime.fromMillis(1));
        DataSources.Loaded again = sources.load(src.toString());
        assertFalse(again.fromCache());
        assertArrayEquals(new byte[] {1, 1}, again.data().test().labels());
        // The earlier state's file is gone (nothing could hit it again); the other source's stays.
        List<Path> after = cacheFiles(cache);
        assertEquals(2, after.size(), "the superseded cache file is deleted: " + after);
        assertEquals(1, after.stream().filter(before::contains).count(), "the other source's cache file is kept");
        assertTrue(sources.load(other.toString()).fromCache());
        assertTrue(sources.load(src.toString()).fromCache());
    }

    private static List<Path> cacheFiles(Path cache) throws java.io.IOException {
        try (var files = Files.list(cache)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".bin")).sorted().toList();
        }
    }

    @Test
    void classSubsetReadFromTheCacheEqualsSelectingFromAllOfIt(@TempDir Path tmp) throws Exception {
        Path src = TestImages.binaryRelease(tmp.resolve("src"));
        DataSources sources = new DataSources(tmp.resolve("home"));
        CifarData all = sources.load(src.toString()).data();
        for (java.util.List<String> classes : java.util.List.of(CifarData.CIFAR2_CLASSES,
                java.util.List.of("truck", "cat", "airplane"))) {
            CifarData expected = all.select(classes);
            DataSources.Loaded subset = sources.load(src.toString(), classes);
            assertTrue(subset.fromCache());
            assertTrue(expected.train().size() > 0 && expected.test().size() > 0, "the test data holds " + classes);
            assertEquals(classes, subset.data().classNames());
            assertArrayEquals(expected.train().pixels(), subset.data().train().pixels());
            assertArrayEquals(expected.train().labels(), subset.data().train().labels());
            assertArrayEquals(expected.test().pixels(), subset.data().test().pixels());
            assertArrayEquals(expected.test().labels(), subset.data().test().labels());
            assertEquals(expected.fingerprint(), subset.data().fingerprint());
        }
        io.cnnlab.UserException unknown = org.junit.jupiter.api.Assertions.assertThrows(io.cnnlab.UserException.class,
                () -> sources.load(src.toString(), java.util.List.of("airplane", "unicorn")));
        assertTrue(unknown.getMessage().contains("'unicorn'"), unknown.getMessage());
    }
}
