package io.cnnlab.data;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.zip.CRC32C;
import java.util.zip.CheckedInputStream;
import java.util.zip.CheckedOutputStream;

/**
 * The decoded uint8 store on disk, so that a data set is decoded once. The file carries a magic
 * number, a format version, the key of the source it was decoded from, and a CRC32C of everything
 * before it; a file that is stale (other version or source) or corrupt is ignored and deleted, never
 * used. Written to a temporary file and renamed, so a crash never leaves a half-written cache.
 */
public final class DecodedCache {
    static final long MAGIC = 0x434E4E4C41424443L; // "CNNLABDC"
    static final int VERSION = 1;

    private DecodedCache() {
    }

    public static void save(CifarData data, String sourceKey, Path file) throws IOException {
        Files.createDirectories(file.getParent());
        Path tmp = Files.createTempFile(file.getParent(), file.getFileName().toString(), ".part");
        try {
            CRC32C crc = new CRC32C();
            try (OutputStream os = Files.newOutputStream(tmp);
                 DataOutputStream out = new DataOutputStream(new CheckedOutputStream(new BufferedOutputStream(os, 1 << 20), crc))) {
                out.writeLong(MAGIC);
                out.writeInt(VERSION);
                out.writeUTF(sourceKey);
                out.writeInt(data.classNames().size());
                for (String c : data.classNames()) {
                    out.writeUTF(c);
                }
                for (LabeledImages split : List.of(data.train(), data.test())) {
                    out.writeInt(split.size());
                    out.write(split.labels());
                    out.write(split.pixels());
                }
                out.flush();
                new DataOutputStream(os).writeLong(crc.getValue());
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** The cached data for {@code sourceKey}, or empty when there is none or it is stale or corrupt. */
    public static Optional<CifarData> load(Path file, String sourceKey) {
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        CRC32C crc = new CRC32C();
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 20);
             CheckedInputStream checked = new CheckedInputStream(raw, crc)) {
            DataInputStream in = new DataInputStream(checked);
            if (in.readLong() != MAGIC || in.readInt() != VERSION || !in.readUTF().equals(sourceKey)) {
                return discard(file, "stale");
            }
            int k = in.readInt();
            if (k < 1 || k > 256) {
                return discard(file, "corrupt");
            }
            List<String> classes = new ArrayList<>();
            for (int i = 0; i < k; i++) {
                classes.add(in.readUTF());
            }
            LabeledImages[] splits = new LabeledImages[2];
            for (int s = 0; s < 2; s++) {
                int n = in.readInt();
                if (n < 0 || n > 10_000_000) {
                    return discard(file, "corrupt");
                }
                byte[] labels = new byte[n];
                in.readFully(labels);
                byte[] pixels = new byte[n * LabeledImages.IMAGE_BYTES];
                in.readFully(pixels);
                splits[s] = new LabeledImages(pixels, labels, classes);
            }
            long expected = crc.getValue();
            long stored = new DataInputStream(raw).readLong();
            if (stored != expected || raw.read() != -1) {
                return discard(file, "corrupt");
            }
            for (LabeledImages split : splits) {
                for (byte l : split.labels()) {
                    if ((l & 0xFF) >= k) {
                        return discard(file, "corrupt");
                    }
                }
            }
            return Optional.of(new CifarData(splits[0], splits[1]));
        } catch (EOFException | IllegalArgumentException e) {
            return discard(file, "truncated");
        } catch (IOException e) {
            return discard(file, "unreadable");
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
