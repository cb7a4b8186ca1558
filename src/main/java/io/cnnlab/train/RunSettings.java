package io.cnnlab.train;

import io.cnnlab.util.RuntimeInfo;
import io.cnnlab.UserException;
import io.cnnlab.data.CifarData;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Everything that decides what a run computes: architecture, data (by content, see
 * {@link CifarData#fingerprint}), budget, optimiser settings, seed, worker count (the batch split
 * changes float rounding and dropout masks) and the cnnlab version. Checkpoints and {@code metrics.json}
 * record it, and a finished or interrupted run is reused only for the same settings.
 */
public record RunSettings(String arch, String dataset, List<String> classes, String data, int epochs, int batchSize,
                          double learningRate, String optimizer, long seed, int workers, String cnnlabVersion,
                          Recipe recipe, int width) {

    /**
     * Runs recorded before recipes existed trained with the notebook's; runs recorded before the width
     * could be chosen (0 read from their files) had their architecture's default width.
     */
    public RunSettings {
        recipe = recipe == null ? Recipe.NOTEBOOK : recipe;
        width = width == 0 ? io.cnnlab.model.Architectures.get(arch).create().baseWidth() : width;
    }

    /** The settings of {@code cfg} (its worker count resolved) on {@code data}, with this cnnlab's version. */
    public static RunSettings of(TrainConfig cfg, CifarData data) {
        if (cfg.workers() < 1) {
            throw new IllegalStateException("the worker count must be resolved before a run's settings are recorded");
        }
        return new RunSettings(cfg.arch(), cfg.dataset(), data.classNames(), data.fingerprint(), cfg.epochs(),
                cfg.batchSize(), cfg.learningRate(), cfg.recipe().optimizer().toUpperCase(java.util.Locale.ROOT), cfg.seed(),
                cfg.workers(), RuntimeInfo.cnnlabVersion(), cfg.recipe(), cfg.baseWidth());
    }

    public RunSettings withEpochs(int newEpochs) {
        return new RunSettings(arch, dataset, classes, data, newEpochs, batchSize, learningRate, optimizer, seed, workers,
                cnnlabVersion, recipe, width);
    }

    /** Each setting that differs, as "name X there, Y now" ({@code this} recorded, {@code asked} wanted now). */
    public List<String> differences(RunSettings asked) {
        List<String> d = new ArrayList<>();
        differ(d, "architecture", arch, asked.arch);
        differ(d, "width", width, asked.width);
        differ(d, "classes", classes, asked.classes);
        differ(d, "data", data, asked.data);
        differ(d, "epochs", epochs, asked.epochs);
        differ(d, "batch size", batchSize, asked.batchSize);
        differ(d, "learning rate", learningRate, asked.learningRate);
        differ(d, "optimizer", optimizer, asked.optimizer);
        differ(d, "seed", seed, asked.seed);
        differ(d, "workers", workers, asked.workers);
        differ(d, "cnnlab version", cnnlabVersion, asked.cnnlabVersion);
        differ(d, "recipe", recipe, asked.recipe);
        return d;
    }

    private static void differ(List<String> d, String name, Object there, Object now) {
        if (!Objects.equals(there, now)) {
            d.add(name + " " + there + " there, " + now + " now");
        }
    }

    /**
     * Fails with one line naming every difference and the fix when {@code recorded} (null: a run made before
     * cnnlab recorded settings) is not {@code asked}.
     */
    public static void requireSame(Path run, RunSettings recorded, RunSettings asked, String fix) {
        if (recorded == null) {
            throw new UserException(run + " holds a run that does not record its settings (made by an older cnnlab), so it"
                    + " cannot be reused; " + fix);
        }
        List<String> d = recorded.differences(asked);
        if (!d.isEmpty()) {
            throw new UserException(run + " holds a run made with other settings (" + String.join("; ", d) + "); " + fix);
        }
    }
}
