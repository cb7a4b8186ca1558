package io.cnnlab.train;

import io.cnnlab.UserException;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

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
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            tmp = null;
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

    public static void writeString(Path target, String content) {
        write(target, tmp -> Files.writeString(tmp, content));
    }
}
