package io.cnnlab.experiment;

import io.cnnlab.train.Recipe;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The settings a profile, the command line or the defaults give a run or a comparison; null means
 * "not given here", so that layers can be merged with {@link #over}. {@code archs} and {@code seeds}
 * belong to comparisons, {@code arch} to single runs; the nine from {@code augment} to {@code earlyStop} are the
 * {@link Recipe}'s; {@code width} is the architecture's base width (the notebook's {@code n_chans1}).
 */
public record Profile(String arch, List<String> archs, String dataset, Integer epochs, Integer batchSize,
                      Double learningRate, Long seed, Integer seeds, String data, String out, String description,
                      Boolean augment, Integer cutout, String optimizer, Double momentum, Double weightDecay, String schedule,
                      Integer lrWarmupEpochs, Double labelSmoothing, Integer earlyStop, Integer width) {

    /** Nothing given. */
    public static final Profile EMPTY = of(Map.of());

    /** The notebook's settings for a single run: net on CIFAR-2, 100 epochs, batch 64, SGD lr 0.01, seed 42. */
    public static final Profile NOTEBOOK = of(Map.of("arch", "net", "dataset", "cifar2", "epochs", 100, "batchSize", 64,
            "learningRate", 1e-2, "seed", 42L));

    /** The notebook's settings for a comparison: every architecture, 3 seeds from 42, 100 epochs, batch 64. */
    public static final Profile NOTEBOOK_STUDY = of(Map.of("archs", List.of(), "dataset", "cifar2", "epochs", 100,
            "batchSize", 64, "seed", 42L, "seeds", 3));

    /** This profile with every setting {@code top} gives replaced by top's. */
    public Profile over(Profile top) {
        return new Profile(pick(top.arch, arch), pick(top.archs, archs), pick(top.dataset, dataset),
                pick(top.epochs, epochs), pick(top.batchSize, batchSize), pick(top.learningRate, learningRate),
                pick(top.seed, seed), pick(top.seeds, seeds), pick(top.data, data), pick(top.out, out),
                pick(top.description, description), pick(top.augment, augment), pick(top.cutout, cutout),
                pick(top.optimizer, optimizer),
                pick(top.momentum, momentum), pick(top.weightDecay, weightDecay), pick(top.schedule, schedule),
                pick(top.lrWarmupEpochs, lrWarmupEpochs), pick(top.labelSmoothing, labelSmoothing),
                pick(top.earlyStop, earlyStop), pick(top.width, width));
    }

    /** The recipe these settings give, the notebook's where they give nothing. */
    public Recipe recipe() {
        Recipe n = Recipe.NOTEBOOK;
        return new Recipe(pick(augment, n.augment()), pick(cutout, n.cutout()), pick(optimizer, n.optimizer()), pick(momentum, n.momentum()),
                pick(weightDecay, n.weightDecay()), pick(schedule, n.schedule()), pick(lrWarmupEpochs, n.warmupEpochs()),
                pick(labelSmoothing, n.labelSmoothing()), pick(earlyStop, n.earlyStop()));
    }

    /** The width given, 0 when none is (the architecture's default); a given width must be at least 1. */
    public int widthOrDefault() {
        if (width == null) {
            return 0;
        }
        if (width < 1) {
            throw new io.cnnlab.UserException("width must be a positive whole number, got " + width);
        }
        return width;
    }

    private static <T> T pick(T top, T below) {
        return top != null ? top : below;
    }

    /** A profile from settings under their profile key names ({@link Profiles#KEYS}); absent keys are not given. */
    @SuppressWarnings("unchecked")
    public static Profile of(Map<String, ?> m) {
        return new Profile((String) m.get("arch"), (List<String>) m.get("archs"), (String) m.get("dataset"),
                (Integer) m.get("epochs"), (Integer) m.get("batchSize"), (Double) m.get("learningRate"),
                (Long) m.get("seed"), (Integer) m.get("seeds"), (String) m.get("data"), (String) m.get("out"),
                (String) m.get("description"), (Boolean) m.get("augment"), (Integer) m.get("cutout"),
                (String) m.get("optimizer"),
                (Double) m.get("momentum"), (Double) m.get("weightDecay"), (String) m.get("schedule"),
                (Integer) m.get("lrWarmupEpochs"), (Double) m.get("labelSmoothing"), (Integer) m.get("earlyStop"),
                (Integer) m.get("width"));
    }

    /** {@code key: value} as a one-setting layer, null values left out. */
    public static Profile given(Object... keyValues) {
        Map<String, Object> m = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            if (keyValues[i + 1] != null) {
                m.put((String) keyValues[i], keyValues[i + 1]);
            }
        }
        return of(m);
    }
}
