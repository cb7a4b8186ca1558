package io.cnnlab.experiment;

import java.util.List;
import java.util.Map;

/**
 * The settings a profile, the command line or the defaults give a run or a comparison; null means
 * "not given here", so that layers can be merged with {@link #over}. {@code archs} and {@code seeds}
 * belong to comparisons, {@code arch} to single runs.
 */
public record Profile(String arch, List<String> archs, String dataset, Integer epochs, Integer batchSize,
                      Double learningRate, Long seed, Integer seeds, String data, String out, String description) {

    /** Nothing given. */
    public static final Profile EMPTY = new Profile(null, null, null, null, null, null, null, null, null, null, null);

    /** The notebook's settings for a single run: net on CIFAR-2, 100 epochs, batch 64, SGD lr 0.01, seed 42. */
    public static final Profile NOTEBOOK = new Profile("net", null, "cifar2", 100, 64, 1e-2, 42L, null, null, null, null);

    /** The notebook's settings for a comparison: every architecture, 3 seeds from 42, 100 epochs, batch 64. */
    public static final Profile NOTEBOOK_STUDY = new Profile(null, List.of(), "cifar2", 100, 64, null, 42L, 3, null, null,
            null);

    /** This profile with every setting {@code top} gives replaced by top's. */
    public Profile over(Profile top) {
        return new Profile(pick(top.arch, arch), pick(top.archs, archs), pick(top.dataset, dataset),
                pick(top.epochs, epochs), pick(top.batchSize, batchSize), pick(top.learningRate, learningRate),
                pick(top.seed, seed), pick(top.seeds, seeds), pick(top.data, data), pick(top.out, out),
                pick(top.description, description));
    }

    private static <T> T pick(T top, T below) {
        return top != null ? top : below;
    }

    /** A profile from checked YAML keys (see {@link Profiles#KEYS}). */
    @SuppressWarnings("unchecked")
    static Profile of(Map<String, Object> m) {
        return new Profile((String) m.get("arch"), (List<String>) m.get("archs"), (String) m.get("dataset"),
                (Integer) m.get("epochs"), (Integer) m.get("batchSize"), (Double) m.get("learningRate"),
                (Long) m.get("seed"), (Integer) m.get("seeds"), (String) m.get("data"), (String) m.get("out"),
                (String) m.get("description"));
    }
}
