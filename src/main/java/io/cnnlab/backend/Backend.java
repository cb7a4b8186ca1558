package io.cnnlab.backend;

import io.cnnlab.UserException;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.CacheMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.layers.convolution.ConvolutionLayer;
import org.deeplearning4j.nn.layers.convolution.subsampling.SubsamplingLayer;
import org.deeplearning4j.nn.layers.mkldnn.MKLDNNConvHelper;
import org.deeplearning4j.nn.layers.mkldnn.MKLDNNSubsamplingHelper;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.activations.impl.ActivationTanH;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOps;
import org.nd4j.nativeblas.NativeOpsHolder;

import java.util.List;

/**
 * One place that prepares ND4J/DL4J for cnnlab: float32 everywhere and DL4J's oneDNN layer helpers
 * switched on (see {@link org.nd4j.nativeblas.Nd4jCpu} for why a property alone is not enough).
 * {@link #configure()} is process-wide and explicit: the command line calls it at start; a program that
 * embeds cnnlab calls it (before creating networks) only if it wants these settings.
 */
public final class Backend {
    /** DL4J reads this at every helper creation; its default "true" disables all layer helpers. */
    public static final String HELPERS_DISABLE_PROPERTY = "org.eclipse.deeplearning4j.helpers.disable";

    static final String MAX_PHYSICAL_BYTES_PROPERTY = "org.bytedeco.javacpp.maxPhysicalBytes";

    private static final LayerHelpers CONVOLUTION_HELPERS = new LayerHelpers(ConvolutionLayer.class);
    private static final LayerHelpers POOLING_HELPERS = new LayerHelpers(SubsamplingLayer.class);

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
        // a fifth of a training step's wall time here (profiled). Read once, at JavaCPP's class loading.
        if (System.getProperty(MAX_PHYSICAL_BYTES_PROPERTY) == null) {
            System.setProperty(MAX_PHYSICAL_BYTES_PROPERTY, "0");
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

    /**
     * Run-time speed-ups for {@code graph}, none of which changes what it computes:
     * <ul>
     * <li>in its live layers only (dense, convolution and activation layers), DL4J's tanh and, on the CPU,
     * plain ReLU swapped for {@link OneDnnTanH} and {@link FastReLU}; each layer gets a clone of its
     * configuration, so no cnnlab class reaches {@code graph.getConfiguration()} or a saved model;</li>
     * <li>DL4J's {@link CacheMode#DEVICE}: a convolution keeps its forward output for its backward pass,
     * which otherwise runs the convolution again (profiled: a third of a {@code resdeep} worker's
     * convolution time). This is DL4J's own setting and is saved with the configuration;</li>
     * <li>on the CPU, convolutions through {@link OneDnnConvolutionHelper}: oneDNN primitives made once per
     * shape; those that read the network's input compute no gradient for it, which training never uses;
     * and max pooling's backward pass through {@link OneDnnPoolingHelper}.</li>
     * </ul>
     * Idempotent; returns {@code graph}.
     */
    public static ComputationGraph accelerate(ComputationGraph graph) {
        boolean cpu = "CPU".equalsIgnoreCase(name());
        for (Layer layer : graph.getLayers()) {
            org.deeplearning4j.nn.conf.layers.Layer conf = layer.conf().getLayer();
            IActivation fn = conf instanceof BaseLayer b ? b.getActivationFn()
                    : conf instanceof ActivationLayer a ? a.getActivationFn() : null;
            IActivation fast = fn == null ? null
                    : fn.getClass() == ActivationTanH.class ? new OneDnnTanH()
                    : fn.getClass() == ActivationReLU.class && fn.equals(new ActivationReLU()) && cpu ? new FastReLU()
                    : null;
            if (fast != null) {
                NeuralNetConfiguration clone = layer.conf().clone();
                if (clone.getLayer() instanceof BaseLayer b) {
                    b.setActivationFn(fast);
                } else {
                    ((ActivationLayer) clone.getLayer()).setActivationFn(fast);
                }
                layer.setConf(clone);
            }
        }
        List<String> inputs = graph.getConfiguration().getNetworkInputs();
        for (Layer layer : graph.getLayers()) {
            String name = layer.conf().getLayer().getLayerName();
            if (layer.getClass() == ConvolutionLayer.class && cpu
                    && CONVOLUTION_HELPERS.get(layer) instanceof MKLDNNConvHelper dl4j) {
                boolean readsImages = layer.conf().getLayer().getIDropout() == null
                        && inputs.containsAll(graph.getConfiguration().getVertexInputs().get(name));
                boolean bias = ((org.deeplearning4j.nn.conf.layers.ConvolutionLayer) layer.conf().getLayer()).hasBias();
                CONVOLUTION_HELPERS.set(layer, new OneDnnConvolutionHelper(dl4j, !readsImages, bias));
            }
            if (layer.getClass() == SubsamplingLayer.class && cpu
                    && POOLING_HELPERS.get(layer) instanceof MKLDNNSubsamplingHelper dl4j) {
                POOLING_HELPERS.set(layer, new OneDnnPoolingHelper(dl4j));
            }
        }
        graph.getConfiguration().setCacheMode(CacheMode.DEVICE);
        graph.setCacheMode(CacheMode.DEVICE);
        return graph;
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
                + " OpenMP threads, oneDNN " + OneDnnIsa.effective() + ")";
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
