package io.cnnlab.model;

import io.cnnlab.UserException;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/** The command line's architecture names, in the notebook's order, each mapped to a fresh builder. */
public final class Architectures {

    /**
     * One registered architecture: its CLI name, the notebook class it reproduces (or where it comes from,
     * for the one that is not the notebook's), a one-line design, and whether it is one of the notebook's.
     */
    public record Entry(String name, String notebookClass, String design, boolean inNotebook,
                        Supplier<ArchitectureBuilder<?>> builder) {
        public ArchitectureBuilder<?> create() {
            return builder.get();
        }
    }

    private static final Map<String, Entry> ENTRIES = new LinkedHashMap<>();

    static {
        register("net", "Net", "conv 3-16, conv 16-8, fc 512-32-k, tanh", Net::new);
        register("width", "NetWidth(32)", "conv 3-32, conv 32-16, fc 1024-32-k, tanh", NetWidth::new);
        register("dropout", "NetDropout(32)", "width + channel dropout p=0.4 after each conv block", NetDropout::new);
        register("batchnorm", "NetBatchNormalization(32)", "width with conv(no bias)-BN-tanh blocks", NetBatchNorm::new);
        register("skip", "NetSkip(32)", "3 relu convs, the third with a skip add, fc 256-32-k", NetSkip::new);
        register("resdeep", "NetResDeep(32, 10)", "conv 3-32 + 10 independent ResBlocks, fc 2048-32-k", NetResDeep::new);
        register("project", "NetWidthProject(32)", "width + 1x1 conv 16-16", NetWidthProject::new);
        register("embed", "NetWidthEmbed(32)", "width + 1x1 conv 16-8, fc 512-32-k", NetWidthEmbed::new);
        register("bottleneck", "bottleneck snippet", "resdeep with 1x1-3x3-1x1 bottleneck blocks 32-8-8-32",
                NetResBottleneck::new);
        ENTRIES.put("fast", new Entry("fast", "not in the notebook (airbench)",
                "conv groups 64, 128, 128 with BN + relu, global max-pool; the CIFAR-10 recipe's", false, NetFast::new));
    }

    private Architectures() {
    }

    private static void register(String name, String notebookClass, String design, Supplier<ArchitectureBuilder<?>> b) {
        ENTRIES.put(name, new Entry(name, notebookClass, design, true, b));
    }

    public static List<Entry> all() {
        return List.copyOf(ENTRIES.values());
    }

    /** Every architecture's name: the notebook's nine, then cnnlab's own. */
    public static List<String> names() {
        return List.copyOf(ENTRIES.keySet());
    }

    /** The notebook's nine, in its order: what {@code compare} runs when no architecture is named. */
    public static List<String> notebookNames() {
        return ENTRIES.values().stream().filter(Entry::inNotebook).map(Entry::name).toList();
    }

    /** The entry for {@code name}, or a {@link UserException} that lists the valid names (names come from users). */
    public static Entry get(String name) {
        Entry e = ENTRIES.get(name);
        if (e == null) {
            throw new UserException("unknown architecture '" + name + "'; choose one of "
                    + String.join(", ", ENTRIES.keySet()));
        }
        return e;
    }
}
