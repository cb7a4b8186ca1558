package io.cnnlab.train;

import io.cnnlab.UserException;
import io.cnnlab.inference.ModelInfo;
import io.cnnlab.util.AtomicFiles;
import io.cnnlab.util.Json;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A run's folder: {@code model.zip} (with updater state), {@code model.json}, {@code metrics.json} and
 * {@code checkpoints/}. Every file is written atomically, so a folder never holds half a file.
 */
public record RunFolder(Path dir) {

    /** Creates {@code dir} and proves it writable, or fails with a clear message before any training. */
    public static RunFolder prepare(Path dir) {
        try {
            Files.createDirectories(dir);
            Path probe = Files.createTempFile(dir, ".write-test", ".tmp");
            Files.delete(probe);
        } catch (Exception e) {
            throw new UserException("cannot write to out folder " + dir + " (" + e.getMessage()
                    + "); choose another --out or fix its permissions");
        }
        return new RunFolder(dir);
    }

    /**
     * Removes {@code dir} if it holds nothing but a released lock file: what a command that created it and
     * failed before writing anything leaves. Anything else stays.
     */
    public static void removeIfUnused(Path dir) {
        try (var entries = Files.list(dir)) {
            if (entries.allMatch(p -> p.getFileName().toString().equals(".lock"))) {
                Files.deleteIfExists(dir.resolve(".lock"));
                Files.delete(dir);
            }
        } catch (IOException e) {
            // it stays; the command's own error is what the user needs to see
        }
    }

    public Checkpoints checkpoints(int keep) {
        return new Checkpoints(dir, keep);
    }

    /** Writes the trained model and its description, then the metrics: a run with metrics.json is complete. */
    public void save(ComputationGraph graph, RunMetrics m) {
        AtomicFiles.write(dir.resolve("model.zip"), tmp -> ModelSerializer.writeModel(graph, tmp.toFile(), true));
        ModelInfo info = new ModelInfo(ModelInfo.FORMAT, m.arch(), m.classes(), ModelInfo.Input.CIFAR,
                new ModelInfo.Training(m.seed(), m.epochs(), m.batchSize(), m.learningRate(), m.settings().optimizer(),
                        m.trainableParams(), m.trainAccuracy(), m.valAccuracy()),
                m.environment().dl4jVersion(), m.environment().cnnlabVersion());
        AtomicFiles.write(dir.resolve("model.json"), tmp -> Json.MAPPER.writeValue(tmp.toFile(), info));
        AtomicFiles.write(dir.resolve("metrics.json"), tmp -> Json.MAPPER.writeValue(tmp.toFile(), m));
    }
}
