package io.cnnlab.backend;

import io.cnnlab.UserException;
import io.cnnlab.helpers.Helpers;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOps;
import org.nd4j.nativeblas.NativeOpsHolder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One place that prepares ND4J/DL4J for cnnlab: float32 everywhere, DL4J's oneDNN layer helpers
 * switched on (see {@link org.nd4j.nativeblas.Nd4jCpu} for why a property alone is not enough), and on the
 * CPU ND4J's executioner with its ops kept alive through their native calls ({@link #FENCED_EXECUTIONER}).
 * {@link #configure()} is process-wide and explicit: the command line calls it at start; a program that
 * embeds cnnlab calls it (before creating networks) only if it wants these settings.
 */
public final class Backend {
    /** DL4J reads this at every helper creation; its default "true" disables all layer helpers. */
    public static final String HELPERS_DISABLE_PROPERTY = "org.eclipse.deeplearning4j.helpers.disable";

    static final String MAX_PHYSICAL_BYTES_PROPERTY = "org.bytedeco.javacpp.maxPhysicalBytes";

    /** ND4J's setting (system property or backend properties file) that names its op executioner class. */
    public static final String OP_EXECUTIONER_PROPERTY = "opexec";
    /** cnnlab's CPU executioner (present in the CPU build only): ND4J's, safe from a GC during a native call. */
    public static final String FENCED_EXECUTIONER = "io.cnnlab.backend.cpu.FencedOpExecutioner";

    private static volatile boolean configured;

    private Backend() {
    }

    public static synchronized void configure() {
        if (configured) {
            return;
        }
        if (System.getProperty(HELPERS_DISABLE_PROPERTY) == null) {
            System.setProperty(HELPERS_DISABLE_PROPERTY, "false");
        }
        // JavaCPP's default physical-memory guard reads /proc/self/statm at every native allocation:
        // a large share of a small net's step. Read once, at JavaCPP's class loading.
        if (System.getProperty(MAX_PHYSICAL_BYTES_PROPERTY) == null) {
            System.setProperty(MAX_PHYSICAL_BYTES_PROPERTY, "0");
        }
        // ND4J M2.1's CPU executioner can let a GC free an op's buffer during the op's native call (a JVM
        // crash); FencedOpExecutioner keeps it alive. Read once, when ND4J starts: a program that used ND4J
        // before this call keeps the executioner it started with (see isExecutionerFenced).
        if (System.getProperty(OP_EXECUTIONER_PROPERTY) == null && onCpuBuild()) {
            System.setProperty(OP_EXECUTIONER_PROPERTY, FENCED_EXECUTIONER);
        }
        try {
            Nd4j.setDefaultDataTypes(DataType.FLOAT, DataType.FLOAT);
        } catch (LinkageError | RuntimeException e) {
            Throwable root = e;
            while (root.getCause() != null) {
                root = root.getCause();
            }
            throw new UserException("no usable ND4J backend (" + root.getMessage() + "). The CUDA build (-Pcuda) needs an"
                    + " NVIDIA GPU and its driver (libcuda.so.1); elsewhere build with the default CPU profile", e);
        }
        configured = true;
    }

    /** Whether ND4J runs its ops through {@code io.cnnlab.backend.cpu.FencedOpExecutioner} in this process. */
    public static boolean isExecutionerFenced() {
        return Nd4j.getExecutioner().getClass().getName().equals(FENCED_EXECUTIONER);
    }

    /** Whether this is the CPU build, with both ND4J's CPU executioner and cnnlab's fenced one on the class path. */
    private static boolean onCpuBuild() {
        ClassLoader cl = Backend.class.getClassLoader();
        return cl.getResource("org/nd4j/linalg/cpu/nativecpu/ops/NativeOpExecutioner.class") != null
                && cl.getResource(FENCED_EXECUTIONER.replace('.', '/') + ".class") != null;
    }

    /**
     * Run-time speed-ups for {@code graph} that change nothing it computes ({@link Helpers#accelerate}: oneDNN
     * convolution and pooling helpers and fast activations on the CPU, DL4J's device cache mode). Idempotent;
     * returns {@code graph}.
     */
    public static ComputationGraph accelerate(ComputationGraph graph) {
        return Helpers.accelerate(graph, "CPU".equalsIgnoreCase(name()));
    }

    /**
     * The output of {@code graph} for {@code features} in inference, for a caller that uses nothing but that
     * output ({@link Helpers#outputOnly}: faster where {@link #accelerate} linked layers; the same numbers).
     */
    public static INDArray output(ComputationGraph graph, INDArray features) {
        return Helpers.outputOnly(graph, features);
    }

    /** Frees what {@link #accelerate} keeps for {@code graph} ({@link Helpers#release}); it stays usable. */
    public static void release(ComputationGraph graph) {
        Helpers.release(graph);
    }

    /**
     * Frees {@code graph} for good, now rather than at some GC: its helpers' plans ({@link #release}), its
     * arrays and this thread's workspaces (DL4J's {@code close}), then the pages glibc keeps of them
     * ({@link #freeNativeMemory}). For the end of one run of several in a JVM (compare, bench), so that the
     * next run does not start with the last one's memory.
     */
    public static void dispose(ComputationGraph graph) {
        release(graph);
        graph.close();
        freeNativeMemory();
    }

    /**
     * Gives the free pages glibc keeps in its heaps back to the system ({@code malloc_trim}), and says whether
     * any were. A closed network has freed its arrays and its threads' workspaces (DL4J's {@code close}), but
     * glibc returns by itself only a heap's top, and after the first large free it serves buffers of several
     * MB (oneDNN's reordered weights and scratch) from its heaps rather than mapping them: without this, the
     * RSS a large network reached stays with the small networks run after it in one JVM (compare, bench).
     * A no-op returning false where the C library is not glibc.
     */
    public static boolean freeNativeMemory() {
        return GlibcTrim.trim();
    }

    /**
     * Sets how many OpenMP threads the ops called from the current thread use (OpenMP keeps this per
     * calling thread; ND4J sets it only on the thread that loads it, from OMP_NUM_THREADS or the core
     * count). Returns the previous value.
     */
    public static int setOmpThreadsOfThisThread(int n) {
        configure();
        NativeOps ops = NativeOpsHolder.getInstance().getDeviceNativeOps();
        int before = ops.ompGetMaxThreads();
        ops.setOmpNumThreads(n);
        return before;
    }

    /** "CPU" or "CUDA", as ND4J reports it. */
    public static String name() {
        configure();
        return Nd4j.getExecutioner().getEnvironmentInformation().getProperty("backend", "unknown");
    }

    /**
     * Backend name plus, on CPU, the native build in use and the ISA oneDNN runs on, e.g.
     * "CPU (nd4j-native linux-x86_64-onednn-avx2, 2 OpenMP threads, oneDNN avx512_core)".
     */
    public static String describe() {
        String backend = name();
        if (!"CPU".equalsIgnoreCase(backend)) {
            return backend;
        }
        return backend + " (nd4j-native " + nativeClassifier() + ", " + Nd4j.getEnvironment().maxMasterThreads()
                + " OpenMP threads, oneDNN " + OneDnnIsa.effective() + ", malloc " + allocator() + ")";
    }

    /**
     * The C allocator serving this process: {@code jemalloc} (or {@code tcmalloc}, {@code mimalloc}) when one is
     * loaded, as {@code ./cnnlab} preloads jemalloc where installed, else {@code glibc} on Linux; {@code system}
     * where {@code /proc/self/maps} cannot tell. It decides how much freed native memory the process holds.
     */
    public static String allocator() {
        try {
            String maps = Files.readString(Path.of("/proc/self/maps"));
            for (String lib : new String[] {"jemalloc", "tcmalloc", "mimalloc"}) {
                if (maps.contains("/lib" + lib)) {
                    return lib;
                }
            }
            return "glibc";
        } catch (IOException | RuntimeException e) {
            return "system";
        }
    }

    /** The classifier of the nd4j-native jar on the class path, found from the native library's resource path. */
    public static String nativeClassifier() {
        String[] candidates = {"linux-x86_64-onednn-avx512", "linux-x86_64-onednn-avx2", "linux-x86_64-onednn",
            "linux-x86_64-avx512", "linux-x86_64-avx2", "linux-x86_64"};
        ClassLoader cl = Backend.class.getClassLoader();
        for (String c : candidates) {
            if (cl.getResource("org/nd4j/linalg/cpu/nativecpu/bindings/" + c + "/libjnind4jcpu.so") != null) {
                return c;
            }
        }
        return "unknown";
    }
}
