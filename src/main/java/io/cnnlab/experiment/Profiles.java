package io.cnnlab.experiment;

import io.cnnlab.UserException;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Training profiles: YAML files of run settings, one per notebook experiment in {@code profiles/}.
 * Keys are checked: an unknown key or a value of the wrong type is a clear error, not a silent default.
 */
public final class Profiles {
    /** Every key a training profile may hold, with the type its value must have. */
    public static final Map<String, Class<?>> KEYS = Map.ofEntries(
            Map.entry("arch", String.class), Map.entry("dataset", String.class), Map.entry("epochs", Integer.class),
            Map.entry("batchSize", Integer.class), Map.entry("learningRate", Double.class), Map.entry("seed", Long.class),
            Map.entry("data", String.class), Map.entry("out", String.class), Map.entry("description", String.class),
            Map.entry("augment", Boolean.class), Map.entry("cutout", Integer.class),
            Map.entry("optimizer", String.class), Map.entry("momentum", Double.class),
            Map.entry("weightDecay", Double.class), Map.entry("schedule", String.class),
            Map.entry("lrWarmupEpochs", Integer.class), Map.entry("labelSmoothing", Double.class),
            Map.entry("earlyStop", Integer.class), Map.entry("width", Integer.class));
    /** The keys of a comparison profile ({@code cnnlab compare --profile}); {@code archs} is a list or a,b,c. */
    public static final Map<String, Class<?>> COMPARE_KEYS = compareKeys();

    private static Map<String, Class<?>> compareKeys() {
        Map<String, Class<?>> keys = new java.util.HashMap<>(KEYS);
        keys.remove("arch");
        keys.put("archs", List.class);
        keys.put("seeds", Integer.class);
        return Map.copyOf(keys);
    }

    private Profiles() {
    }

    /**
     * Loads {@code ref}: a YAML file path, or the name of a bundled profile ({@code net} or
     * {@code profiles/net.yaml}), looked up in ./profiles first, then inside cnnlab.
     */
    public static Profile load(String ref) {
        return Profile.of(load(ref, KEYS));
    }

    /** Loads a comparison profile ({@link #COMPARE_KEYS}), by file path or bundled name as {@link #load(String)}. */
    public static Profile loadComparison(String ref) {
        return Profile.of(load(ref, COMPARE_KEYS));
    }

    private static Map<String, Object> load(String ref, Map<String, Class<?>> keys) {
        Path p = Path.of(ref);
        if (Files.isRegularFile(p)) {
            try (InputStream in = Files.newInputStream(p)) {
                return parse(in, ref, keys);
            } catch (IOException e) {
                throw new UserException("cannot read profile " + ref + ": " + e.getMessage());
            }
        }
        String name = p.getFileName().toString().replaceFirst("\\.ya?ml$", "");
        Map<String, Object> bundled = bundled(name, keys);
        if (bundled == null) {
            throw new UserException("profile " + ref + " not found; give a YAML file or the name of one in profiles/");
        }
        return bundled;
    }

    /** The learning rate in an architecture's bundled profile; 0.01 (the notebook's) when it has none. */
    public static double learningRateOf(String arch) {
        Profile profile = bundled(arch);
        return profile != null && profile.learningRate() != null ? profile.learningRate() : 1e-2;
    }

    /** The bundled profile {@code name} (./profiles/NAME.yaml, else the copy inside cnnlab), or null. */
    public static Profile bundled(String name) {
        Map<String, Object> m = bundled(name, KEYS);
        return m == null ? null : Profile.of(m);
    }

    static Map<String, Object> bundled(String name, Map<String, Class<?>> keys) {
        Path local = Path.of("profiles", name + ".yaml");
        try (InputStream in = Files.isRegularFile(local) ? Files.newInputStream(local)
                : Profiles.class.getResourceAsStream("/profiles/" + name + ".yaml")) {
            return in == null ? null : parse(in, "profiles/" + name + ".yaml", keys);
        } catch (IOException e) {
            throw new UserException("cannot read profile " + local + ": " + e.getMessage());
        }
    }

    static Map<String, Object> parse(InputStream in, String name, Map<String, Class<?>> keys) {
        Object doc;
        try {
            doc = new Yaml(new SafeConstructor(new LoaderOptions())).load(in);
        } catch (RuntimeException e) {
            throw new UserException("profile " + name + " is not valid YAML: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (doc == null) {
            return Map.of();
        }
        if (!(doc instanceof Map<?, ?> map)) {
            throw new UserException("profile " + name + " must be a mapping of keys to values");
        }
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            String key = String.valueOf(e.getKey());
            Class<?> type = keys.get(key);
            if (type == null) {
                throw new UserException("profile " + name + ": unknown key '" + key + "'; known keys: "
                        + String.join(", ", new java.util.TreeSet<>(keys.keySet())));
            }
            out.put(key, convert(e.getValue(), type, key, name));
        }
        return out;
    }

    private static Object convert(Object v, Class<?> type, String key, String name) {
        if (type == List.class && (v instanceof List<?> || v instanceof String)) {
            List<?> items = v instanceof List<?> l ? l : List.of(((String) v).split(","));
            return items.stream().map(o -> String.valueOf(o).trim()).filter(s -> !s.isEmpty()).toList();
        }
        if (type == String.class && (v instanceof String || v instanceof Number)) {
            return String.valueOf(v);
        }
        if ((type == Integer.class || type == Long.class) && (v instanceof Integer || v instanceof Long)) {
            long l = ((Number) v).longValue();
            return type == Integer.class ? (Object) Math.toIntExact(l) : (Object) l;
        }
        if (type == Double.class && v instanceof Number n) {
            return n.doubleValue();
        }
        if (type == Boolean.class && v instanceof Boolean b) {
            return b;
        }
        String want = Set.of(Integer.class, Long.class).contains(type) ? "a whole number"
                : type == Double.class ? "a number" : type == List.class ? "a list"
                : type == Boolean.class ? "true or false" : "text";
        throw new UserException("profile " + name + ": key '" + key + "' must be " + want + ", got '" + v + "'");
    }
}
