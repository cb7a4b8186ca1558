package io.cnnlab.train;

import io.cnnlab.util.AtomicFiles;
import io.cnnlab.model.Net;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A checkpoint reaches the disk before it becomes visible under its name. */
class CheckpointsTest {
    @TempDir
    Path tmp;

    @Test
    void filesAndFolderAreSyncedBeforeTheRenameAndTheParentAfter() {
        ComputationGraph graph = new Net().init();
        Checkpoints checkpoints = new Checkpoints(tmp, 2);
        Path target = checkpoints.dir().resolve("ckpt-00001-000000");
        List<String> synced = new ArrayList<>();
        AtomicFiles.syncObserver = p -> synced.add((Files.exists(target) ? "after: " : "before: ")
                + (p.equals(checkpoints.dir()) ? "checkpoints/" : p.getFileName().toString().startsWith(".ckpt-")
                ? "tmp/" : p.getFileName().toString()));
        try {
            TrainConfig cfg = new TrainConfig("net", "cifar2", 2, 64, 0.01, 42, "data", tmp, true, 1);
            assertEquals(target, checkpoints.save(graph, new TrainState(cfg, 1, 0, 0, List.of(0.5), List.of(1.0), 0, null, null, null, null)));
        } finally {
            AtomicFiles.syncObserver = null;
        }
        assertEquals(List.of("before: model.zip", "before: state.json", "before: tmp/", "after: checkpoints/"), synced);
        assertTrue(Files.isRegularFile(target.resolve("model.zip")));
    }
}
