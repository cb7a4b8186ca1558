package io.cnnlab.data;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.zip.CRC32;

/**
 * The decoded uint8 store on disk, so that a data set is decoded once. The file carries a magic
 * number, a format version, the key of the source it was decoded from, and a CRC-32 of everything
 * before it; a file that is stale (other version or source) or corrupt is ignored and deleted, never
 * used. Written to a temporary file and renamed, so a crash never leaves a half-written cache.
 *
 * <p>Layout: magic, version, header length, header (source key, class names, split sizes), then per
 * split its labels and pixels, then the CRC. The big arrays move with single native reads and writes
 * and zlib's native CRC-32, so even a cold JVM loads CIFAR-10's 184 MB in a fraction of a second.
 */
public final class DecodedCache {
    static final long MAGIC = 0x434E4E4C41424443L; // "CNNLABDC"
    static final int VERSION = 2;

    private DecodedCache() {
    }

    public static void save(CifarData data, String sourceKey, Path file) throws IOException {
        Files.createDirectories(file.getParent());
        ByteArrayOutputStream headerBytes = new ByteArrayOutputStream();
        DataOutputStream h = new DataOutputStream(headerBytes);
        h.writeUTF(sourceKey);
        h.writeInt(data.classNames().size());
        for (String c : data.classNames()) {
            h.writeUTF(c);
        }
        h.writeInt(data.train().size());
        h.writeInt(data.test().size());
        byte[] header = headerBytes.toByteArray();

        Path tmp = Files.createTempFile(file.getParent(), file.getFileName().toString(), ".part");
        try {
            CRC32 crc = new CRC32();
            try (RandomAccessFile out = new RandomAccessFile(tmp.toFile(), "rw")) {
                ByteArrayOutputStream prefix = new ByteArrayOutputStream();
                DataOutputStream p = new DataOutputStream(prefix);
                p.writeLong(MAGIC);
                p.writeInt(VERSION);
                p.writeInt(header.length);
                p.write(header);
                for (byte[] part : List.of(prefix.toByteArray(), data.train().labels(), data.train().pixels(),
                        data.test().labels(), data.test().pixels())) {
                    out.write(part);
                    crc.update(part);
                }
                out.writeLong(crc.getValue());
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Deletes the other cache files in {@code keep}'s folder that were decoded from an earlier state of the
     * same source: their keys start with {@code sourcePrefix} (the source's path) and differ from {@code keep}'s.
     * Such a file can never be hit again, since the key has the source's size and modification time, and
     * each is as large as the decoded data (184 MB for CIFAR-10). Best effort: a file it cannot read or
     * delete costs disk only.
     */
    public static void deleteSuperseded(Path keep, String sourcePrefix) {
        try (var files = Files.list(keep.getParent())) {
            for (Path f : (Iterable<Path>) files::iterator) {
                String name = f.getFileName().toString();
                if (!f.equals(keep) && name.startsWith("decoded-") && name.endsWith(".bin")
                        && sourceKey(f).filter(k -> k.startsWith(sourcePrefix)).isPresent()) {
                    Files.deleteIfExists(f);
                }
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            // best effort, as documented
        }
    }

    /** The source key in {@code file}'s header, or empty when it is not a readable cache file of this version. */
    static Optional<String> sourceKey(Path file) {
        try (DataInputStream in = new DataInputStream(Files.newInputStream(file))) {
            if (in.readLong() != MAGIC || in.readInt() != VERSION) {
                return Optional.empty();
            }
            in.readInt(); // header length
            return Optional.of(in.readUTF());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The cached data for {@code sourceKey}, or empty when there is none or it is stale or corrupt. */
    public static Optional<CifarData> load(Path file, String sourceKey) {
        return load(file, sourceKey, null);
    }

    /**
     * As {@link #load(Path, String)}, reduced to {@code wanted} (relabelled in that order, as
     * {@link CifarData#select} does) when the cache holds them all; {@code null} for every class. Only the
     * selected images are copied out of the mapped file: CIFAR-2 takes 35 MB of heap instead of the 184 MB
     * of all of CIFAR-10, which G1 would otherwise keep committed long after the copy became garbage.
     */
    public static Optional<CifarData> load(Path file, String sourceKey, List<String> wanted) {
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        // Memory-mapped: the arrays are filled straight from the page cache, one copy, where
        // RandomAccessFile.readFully goes through a native buffer as large as each array. Most of the
        // rest is the first touch of the new arrays' pages, which transparent huge pages (the ./cnnlab
        // script's JVM option) shorten (docs/performance.md, Memory and loading).
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long length = ch.size();
            if (length < 24 || length > Integer.MAX_VALUE) {
                return discard(file, length < 24 ? "truncated" : "corrupt");
            }
            MappedByteBuffer in = ch.map(FileChannel.MapMode.READ_ONLY, 0, length);
            int headerLength;
            if (in.getLong() != MAGIC || in.getInt() != VERSION || (headerLength = in.getInt()) < 0 || headerLength > 1 << 20) {
                return discard(file, "stale");
            }
            byte[] header = new byte[headerLength];
            in.get(header);
            DataInputStream h = new DataInputStream(new ByteArrayInputStream(header));
            if (!h.readUTF().equals(sourceKey)) {
                return discard(file, "stale");
            }
            int k = h.readInt();
            if (k < 1 || k > 256) {
                return discard(file, "corrupt");
            }
            List<String> classes = new ArrayList<>();
            for (int i = 0; i < k; i++) {
                classes.add(h.readUTF());
            }
            int[] sizes = {h.readInt(), h.readInt()};
            long expectedLength = 16L + headerLength + 8;
            for (int n : sizes) {
                if (n < 0 || n > 10_000_000) {
                    return discard(file, "corrupt");
                }
                expectedLength += (long) n * (1 + LabeledImages.IMAGE_BYTES);
            }
            if (length != expectedLength) {
                return discard(file, "truncated");
            }
            CRC32 crc = new CRC32();
            crc.update(in.duplicate().position(0).limit((int) length - 8));
            if (in.getLong((int) length - 8) != crc.getValue()) {
                return discard(file, "corrupt");
            }
            boolean subset = wanted != null && !wanted.equals(classes) && classes.containsAll(wanted);
            LabeledImages[] splits = new LabeledImages[2];
            for (int s = 0; s < 2; s++) {
                byte[] labels = new byte[sizes[s]];
                in.get(labels);
                for (byte l : labels) {
                    if ((l & 0xFF) >= k) {
                        return discard(file, "corrupt");
                    }
                }
                int base = in.position();
                if (subset) {
                    splits[s] = CifarData.select(labels, classes, wanted, (i, dst, at) ->
                            in.get(base + i * LabeledImages.IMAGE_BYTES, dst, at, LabeledImages.IMAGE_BYTES));
                } else {
                    byte[] pixels = new byte[sizes[s] * LabeledImages.IMAGE_BYTES];
                    in.get(pixels);
                    splits[s] = new LabeledImages(pixels, labels, classes);
                }
                in.position(base + sizes[s] * LabeledImages.IMAGE_BYTES);
            }
            unmap(in);
            return Optional.of(new CifarData(splits[0], splits[1]));
        } catch (EOFException | IllegalArgumentException | java.nio.BufferUnderflowException e) {
            return discard(file, "truncated");
        } catch (IOException e) {
            return discard(file, "unreadable");
        }
    }

    /**
     * Unmaps {@code buffer} now. The JDK unmaps a mapped file only when a GC collects its buffer, and a
     * training run makes so little Java garbage that the file's pages (184 MB for CIFAR-10, all touched by
     * the CRC check) would count in the process's RSS for minutes. The buffer must not be used afterwards.
     */
    private static void unmap(MappedByteBuffer buffer) {
        try {
            var field = Class.forName("sun.misc.Unsafe").getDeclaredField("theUnsafe");
            field.setAccessible(true);
            var unsafe = field.get(null);
            unsafe.getClass().getMethod("invokeCleaner", java.nio.ByteBuffer.class).invoke(unsafe, buffer);
        } catch (ReflectiveOperationException | RuntimeException e) {
            // left to the GC, as without this method
        }
    }

    private static Optional<CifarData> discard(Path file, String why) {
        System.err.println("cnnlab: decoded-data cache " + file + " is " + why + "; rebuilding it");
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // it is rewritten atomically right after
        }
        return Optional.empty();
    }
}
