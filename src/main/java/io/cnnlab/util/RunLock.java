package io.cnnlab.util;

import io.cnnlab.UserException;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Exclusive use of a run folder by one process: an OS lock on {@code <run>/.lock}. The kernel drops
 * the lock when the process ends, however it ends (SIGKILL included), so a crash never leaves the
 * folder stuck; the file's content (the owner's PID) is only for the error message.
 */
public final class RunLock implements AutoCloseable {
    private final FileChannel channel;
    private final FileLock lock;

    private RunLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    public static RunLock acquire(Path runDir) {
        Path file = runDir.resolve(".lock");
        FileChannel ch = null;
        try {
            Files.createDirectories(runDir);
            ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.READ);
            FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                String owner = new String(Files.readAllBytes(file), StandardCharsets.US_ASCII).trim();
                ch.close();
                throw new UserException("another cnnlab process" + (owner.isEmpty() ? "" : " (pid " + owner + ")")
                        + " is using " + runDir + "; wait for it to finish or choose another --out");
            }
            ch.truncate(0);
            ch.write(java.nio.ByteBuffer.wrap(Long.toString(ProcessHandle.current().pid()).getBytes(StandardCharsets.US_ASCII)));
            ch.force(false);
            return new RunLock(ch, lock);
        } catch (IOException e) {
            if (ch != null) {
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // already failing
                }
            }
            throw new UserException("cannot lock run folder " + runDir + " (" + e.getMessage()
                    + "); choose another --out or fix its permissions");
        }
    }

    @Override
    public void close() {
        try {
            lock.release();
            channel.close();
        } catch (IOException ignored) {
            // the OS releases it with the process anyway
        }
    }
}
