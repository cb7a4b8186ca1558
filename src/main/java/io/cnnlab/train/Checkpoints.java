package io.cnnlab.train;

import io.cnnlab.util.Json;
import io.cnnlab.util.AtomicFiles;
import io.cnnlab.UserException;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Checkpoints of a run in {@code <run>/checkpoints/}: one folder per checkpoint holding
 * {@code model.zip} (parameters and updater state) and {@code state.json}. A folder is written under
 * a temporary name, synced to disk, and renamed into place, so a checkpoint either exists whole or not at all; the
 * oldest are removed once more than {@code keep} exist.
 */
public final class Checkpoints {
    private static final String PREFIX = "ckpt-";

    private final Path dir;
    private final int keep;

    public Checkpoints(Path runDir, int keep) {
        if (keep < 1) {
            throw new UserException("checkpoints to keep must be at least 1, got " + keep);
        }
        this.dir = runDir.resolve("checkpoints");
        this.keep = keep;
    }

    public Path dir() {
        return dir;
    }

    /** Writes a checkpoint of {@code graph} at {@code state}; returns its folder. */
    public Path save(ComputationGraph graph, TrainState state) {
        String name = String.format("%s%05d-%06d", PREFIX, state.epochsDone(), state.batchesDone());
        Path target = dir.resolve(name);
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            tmp = Files.createTempDirectory(dir, "." + name + ".");
            ModelSerializer.writeModel(graph, tmp.resolve("model.zip").toFile(), true);
            Json.MAPPER.writeValue(tmp.resolve("state.json").toFile(), state);
            // Both files and their folder reach the disk before the rename makes the checkpoint visible.
            AtomicFiles.fsync(tmp.resolve("model.zip"));
            AtomicFiles.fsync(tmp.resolve("state.json"));
            AtomicFiles.fsync(tmp);
            if (Files.exists(target)) {
                AtomicFiles.deleteTree(target);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            tmp = null;
            AtomicFiles.fsync(dir);
        } catch (IOException e) {
            throw new UserException("cannot write checkpoint " + target + " (" + e.getMessage()
                    + "); check free disk space. Earlier checkpoints are intact");
        } finally {
            if (tmp != null) {
                AtomicFiles.deleteTree(tmp);
            }
        }
        List<Path> all = list();
        for (int i = 0; i < all.size() - keep; i++) {
            AtomicFiles.deleteTree(all.get(i));
        }
        return target;
    }

    /** Complete checkpoints, oldest first. */
    public List<Path> list() {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith(PREFIX))
                    .filter(p -> Files.isRegularFile(p.resolve("state.json")) && Files.isRegularFile(p.resolve("model.zip")))
                    .sorted(Comparator.comparing(p -> p.getFileName().toString())).toList();
        } catch (IOException e) {
            throw new UserException("cannot list checkpoints in " + dir + ": " + e.getMessage());
        }
    }

    public Optional<Path> latest() {
        List<Path> all = list();
        return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
    }

    public static TrainState readState(Path checkpoint) {
        try {
            return Json.MAPPER.readValue(checkpoint.resolve("state.json").toFile(), TrainState.class);
        } catch (IOException e) {
            throw new UserException("checkpoint " + checkpoint + " has an unreadable state.json (" + e.getMessage() + ")");
        }
    }
}
