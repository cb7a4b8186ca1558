package io.cnnlab.data;

import io.cnnlab.UserException;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * Reads the wanted files of a folder, a {@code .tar.gz}/{@code .tgz}/{@code .tar} or a {@code .zip}
 * into memory as (relative path, bytes) pairs, sorted by path. Archives are streamed, never
 * extracted, so a hostile entry name cannot write anywhere; the total size and entry count are
 * bounded against archive bombs.
 */
public final class ArchiveEntries {

    /** One file: its path inside the source with '/' separators, and its content. */
    public record Entry(String path, byte[] data) {
        public String fileName() {
            return path.substring(path.lastIndexOf('/') + 1);
        }
    }

    /** Bounds on what one read may take in. */
    public record Limits(long maxBytes, int maxEntries) {
        /** Generous for CIFAR-10 (60,000 files, 180 MB as binary batches), small enough to stop a bomb. */
        public static final Limits DEFAULT = new Limits(2L << 30, 500_000);
    }

    private ArchiveEntries() {
    }

    public static boolean isArchive(Path p) {
        String n = p.getFileName().toString().toLowerCase();
        return n.endsWith(".tar.gz") || n.endsWith(".tgz") || n.endsWith(".tar") || n.endsWith(".zip");
    }

    public static List<Entry> read(Path source, Predicate<String> wanted, Limits limits) {
        List<Entry> out = new ArrayList<>();
        long[] total = {0};
        try {
            if (Files.isDirectory(source)) {
                try (Stream<Path> files = Files.walk(source)) {
                    for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile).sorted()::iterator) {
                        String rel = source.relativize(f).toString().replace('\\', '/');
                        if (wanted.test(rel)) {
                            add(out, total, limits, source, rel, Files.readAllBytes(f));
                        }
                    }
                }
            } else if (isArchive(source)) {
                String n = source.getFileName().toString().toLowerCase();
                try (InputStream raw = new BufferedInputStream(Files.newInputStream(source), 1 << 16)) {
                    if (n.endsWith(".zip")) {
                        readZip(raw, source, wanted, limits, out, total);
                    } else {
                        InputStream in = n.endsWith(".tar") ? raw : new GZIPInputStream(raw, 1 << 16);
                        readTar(in, source, wanted, limits, out, total);
                    }
                }
            } else {
                throw new UserException("unsupported data file " + source
                        + ": expected a folder, a .tar.gz/.tgz/.tar or a .zip");
            }
        } catch (java.util.zip.ZipException | java.io.EOFException e) {
            throw new UserException("cannot read archive " + source + " (" + e.getMessage()
                    + "): it is corrupt or truncated; replace it with a good copy");
        } catch (IOException e) {
            throw new UserException("cannot read " + source + ": " + e.getMessage());
        }
        out.sort(Comparator.comparing(Entry::path));
        return out;
    }

    private static void readTar(InputStream in, Path source, Predicate<String> wanted, Limits limits,
                                List<Entry> out, long[] total) throws IOException {
        TarArchiveInputStream tar = new TarArchiveInputStream(in);
        TarArchiveEntry e;
        while ((e = tar.getNextEntry()) != null) {
            String name = clean(e.getName());
            if (e.isFile() && wanted.test(name)) {
                add(out, total, limits, source, name, tar.readAllBytes());
            }
        }
    }

    private static void readZip(InputStream in, Path source, Predicate<String> wanted, Limits limits,
                                List<Entry> out, long[] total) throws IOException {
        ZipInputStream zip = new ZipInputStream(in);
        ZipEntry e;
        while ((e = zip.getNextEntry()) != null) {
            String name = clean(e.getName());
            if (!e.isDirectory() && wanted.test(name)) {
                add(out, total, limits, source, name, zip.readAllBytes());
            }
        }
    }

    private static String clean(String name) {
        String n = name.replace('\\', '/');
        while (n.startsWith("./")) {
            n = n.substring(2);
        }
        return n;
    }

    private static void add(List<Entry> out, long[] total, Limits limits, Path source, String path, byte[] data) {
        total[0] += data.length;
        if (out.size() + 1 > limits.maxEntries() || total[0] > limits.maxBytes()) {
            throw new UserException(source + " holds more than " + limits.maxEntries() + " files or "
                    + (limits.maxBytes() >> 20) + " MiB of wanted data; refusing to read it (not a CIFAR-sized data set)");
        }
        out.add(new Entry(path, data));
    }
}
