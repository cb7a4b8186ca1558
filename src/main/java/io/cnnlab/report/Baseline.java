package io.cnnlab.report;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import io.cnnlab.UserException;
import io.cnnlab.train.RunMetrics;
import io.cnnlab.util.Json;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * An earlier comparison that a report sets beside its own runs ({@code compare --baseline DIR}): the
 * runs recorded in that comparison's {@code results.json}, so that, say, a recipe's runs show next to the
 * notebook study's runs of the same architectures.
 *
 * @param from where it was read (as given)
 * @param runs its runs, each with its settings (recipe, epochs) and per-epoch curves
 */
public record Baseline(String from, List<RunMetrics> runs) {

    /** The comparison in {@code dir}; a missing, unreadable or empty {@code results.json} is bad input. */
    public static Baseline read(Path dir) {
        Path file = Files.isDirectory(dir) ? dir.resolve("results.json") : dir;
        if (!Files.isRegularFile(file)) {
            throw new UserException("--baseline " + dir + ": no results.json there; give the folder of an earlier compare");
        }
        List<RunMetrics> runs;
        try {
            JsonNode root = Json.MAPPER.readTree(file.toFile());
            runs = root == null || !root.has("runs") ? List.of()
                    : Json.MAPPER.convertValue(root.get("runs"), new TypeReference<List<RunMetrics>>() { });
        } catch (IOException | IllegalArgumentException e) {
            throw new UserException("--baseline " + file + " is not a cnnlab results.json ("
                    + String.valueOf(e.getMessage()).lines().findFirst().orElse("") + ")");
        }
        if (runs.isEmpty()) {
            throw new UserException("--baseline " + file + " records no runs; give the folder of a finished compare");
        }
        return new Baseline(dir.toString(), List.copyOf(runs));
    }

    /** Its runs of {@code arch}. */
    public List<RunMetrics> runsOf(String arch) {
        return runs.stream().filter(r -> r.arch().equals(arch)).toList();
    }
}
