package io.cnnlab.util;

import io.cnnlab.UserException;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.stream.Stream;

/** Writes a file completely or not at all: into a temporary sibling, synced, then renamed over the target. */
public final class AtomicFiles {

    /** Something that writes a whole file at the path it is given. */
    @FunctionalInterface
    public interface Writer {
        void write(Path tmp) throws IOException;
    }

    private AtomicFiles() {
    }

    public static void write(Path target, Writer writer) {
        Path tmp = null;
        try {
            Path dir = target.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            tmp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp");
            writer.write(tmp);
            fsync(tmp);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            tmp = null;
            fsync(dir);
        } catch (IOException e) {
            throw new UserException("cannot write " + target + " (" + e.getMessage()
                    + "); check free disk space and permissions of its folder. Any previous " + target.getFileName()
                    + " is unchanged");
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // a leftover dot-file ending in .tmp is never read
                }
            }
        }
    }

    /** Test seam: sees every path {@link #fsync} syncs, before it is synced. */
    public static volatile java.util.function.Consumer<Path> syncObserver;

    /**
     * Forces a file's bytes, or a folder's entries, to disk: a rename is durable only once what it
     * renames and the folder it renames into are. Folders that cannot be opened for syncing (not on
     * Linux) are skipped; their entries are then as durable as the platform makes them.
     */
    public static void fsync(Path fileOrFolder) throws IOException {
        var observer = syncObserver;
        if (observer != null) {
            observer.accept(fileOrFolder);
        }
        boolean folder = Files.isDirectory(fileOrFolder);
        try (FileChannel ch = FileChannel.open(fileOrFolder, folder ? StandardOpenOption.READ : StandardOpenOption.WRITE)) {
            ch.force(true);
        } catch (IOException e) {
            if (!folder) {
                throw e;
            }
        }
    }

    public static void writeString(Path target, String content) {
        write(target, tmp -> Files.writeString(tmp, content));
    }

    /** Deletes {@code p} and everything under it, as far as it can; what stays behind is never read. */
    public static void deleteTree(Path p) {
        try (Stream<Path> walk = Files.walk(p)) {
            walk.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException ignored) {
            // leftover temporary folders start with a dot and are never read
        }
    }
}
