package io.cnnlab.data;

import io.cnnlab.UserException;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.zip.GZIPInputStream;

/**
 * Extracts a {@code .tar.gz} into a folder, atomically and safely: everything goes into a temporary
 * sibling folder that is renamed into place only when complete, so an interrupted extraction is never
 * mistaken for a finished one. Entries that would land outside the target ({@code ../}, absolute
 * paths, links pointing out) are rejected; links inside are skipped; total size and entry count are
 * bounded.
 */
public final class SafeExtractor {
    private SafeExtractor() {
    }

    /** Extracts {@code archive} to {@code target} unless {@code target} already exists; returns {@code target}. */
    public static Path extractTarGz(Path archive, Path target, ArchiveEntries.Limits limits) {
        if (Files.isDirectory(target)) {
            return target;
        }
        Path tmp = null;
        try {
            Files.createDirectories(target.getParent());
            tmp = Files.createTempDirectory(target.getParent(), target.getFileName() + ".part-");
            Path root = tmp.toRealPath();
            long total = 0;
            int count = 0;
            try (InputStream in = new GZIPInputStream(new BufferedInputStream(Files.newInputStream(archive), 1 << 16));
                 TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
                TarArchiveEntry e;
                while ((e = tar.getNextEntry()) != null) {
                    Path dest = inside(root, e.getName(), archive);
                    if (e.isSymbolicLink() || e.isLink()) {
                        Path linkTarget = e.isSymbolicLink()
                                ? dest.getParent().resolve(e.getLinkName()).normalize()
                                : root.resolve(e.getLinkName()).normalize();
                        if (!linkTarget.startsWith(root)) {
                            throw new UserException("archive " + archive + " has a link '" + e.getName() + "' -> '"
                                    + e.getLinkName() + "' pointing outside its folder; refusing to extract it");
                        }
                        continue;
                    }
                    if (++count > limits.maxEntries()) {
                        throw new UserException("archive " + archive + " has more than " + limits.maxEntries()
                                + " entries; refusing to extract it");
                    }
                    if (e.isDirectory()) {
                        Files.createDirectories(dest);
                    } else if (e.isFile()) {
                        Files.createDirectories(dest.getParent());
                        try (OutputStream out = Files.newOutputStream(dest)) {
                            byte[] buf = new byte[1 << 16];
                            int n;
                            while ((n = tar.read(buf)) > 0) {
                                total += n;
                                if (total > limits.maxBytes()) {
                                    throw new UserException("archive " + archive + " expands to more than "
                                            + (limits.maxBytes() >> 20) + " MiB; refusing to extract it");
                                }
                                out.write(buf, 0, n);
                            }
                        }
                    }
                }
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            tmp = null;
            return target;
        } catch (java.util.zip.ZipException | java.io.EOFException e) {
            throw new UserException("archive " + archive + " is corrupt or truncated (" + e.getMessage()
                    + "); delete it and download again");
        } catch (IOException e) {
            throw new UserException("cannot extract " + archive + " into " + target.getParent() + ": " + e);
        } finally {
            if (tmp != null) {
                deleteTree(tmp);
            }
        }
    }

    private static Path inside(Path root, String name, Path archive) {
        Path p = Path.of(name);
        Path dest = root.resolve(name).normalize();
        if (p.isAbsolute() || !dest.startsWith(root)) {
            throw new UserException("archive " + archive + " has an entry '" + name
                    + "' that would land outside its folder; refusing to extract it");
        }
        return dest;
    }

    static void deleteTree(Path dir) {
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort: a leftover temporary folder is never used, its name says it is partial
        }
    }
}
