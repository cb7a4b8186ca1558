package io.cnnlab.model;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.distribution.UniformDistribution;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInitDistribution;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Sgd;

import java.util.Random;

/**
 * Base of every notebook architecture, in the style of deeplearning4j-zoo's models: a builder that
 * holds the notebook's parameters with their defaults, {@link #graphBuilder()} for callers who want
 * to extend the graph, and {@link #conf()} for the finished configuration. The input is
 * {@code InputType.convolutional(32, 32, 3)} so DL4J infers every {@code nIn}. Building and initialising
 * change no global state (system properties, ND4J's default data types, thread counts); cnnlab's speed
 * settings come only from {@code Backend.configure()} and {@code Backend.accelerate(graph)}, called by
 * whoever wants them.
 *
 * @param <T> the concrete model, so that setters chain
 */
public abstract class ArchitectureBuilder<T extends ArchitectureBuilder<T>> {
    public static final String INPUT = "input";
    public static final int HEIGHT = 32;
    public static final int WIDTH = 32;
    public static final int CHANNELS = 3;

    protected int numClasses = 2;
    protected int baseWidth;
    protected long seed = 42;
    protected IUpdater updater = new Sgd(1e-2);
    protected DataType dataType = DataType.FLOAT;
    protected int inputSize = HEIGHT;
    protected double weightDecay;

    protected ArchitectureBuilder(int defaultBaseWidth) {
        this.baseWidth = defaultBaseWidth;
    }

    @SuppressWarnings("unchecked")
    protected T self() {
        return (T) this;
    }

    /** Width of the first convolution (the notebook's {@code n_ch1}); later layers derive theirs from it. */
    public T baseWidth(int baseWidth) {
        this.baseWidth = baseWidth;
        return self();
    }

    /**
     * Decoupled weight decay on the weights (not biases or batch-norm parameters): DL4J's {@code WeightDecay}
     * with the learning rate applied, which shrinks each weight by {@code lr * coefficient} of itself every
     * step, after the updater, as SGDW and AdamW do. PyTorch's SGD adds its {@code weight_decay} to the
     * gradient instead, where momentum m multiplies it by about 1/(1-m): its 5e-4 with momentum 0.9 is about
     * 5e-3 here. Default 0.
     */
    public T weightDecay(double coefficient) {
        this.weightDecay = coefficient;
        return self();
    }

    public T numClasses(int numClasses) {
        this.numClasses = numClasses;
        return self();
    }

    public T seed(long seed) {
        this.seed = seed;
        return self();
    }

    public T updater(IUpdater updater) {
        this.updater = updater;
        return self();
    }

    /** FLOAT by default (DL4J's oneDNN helpers are float-only); DOUBLE for gradient checks. */
    public T dataType(DataType dataType) {
        this.dataType = dataType;
        return self();
    }

    /**
     * Side of the square input images; 32 for CIFAR (the notebook's fc sizes assume it). Other sizes
     * work because DL4J infers every layer's input from it; they must be a multiple of 8 (up to three
     * 2x poolings).
     */
    public T inputSize(int side) {
        this.inputSize = side;
        return self();
    }

    public int baseWidth() {
        return baseWidth;
    }

    public int numClasses() {
        return numClasses;
    }

    /** Adds the architecture's vertices after {@link #INPUT} and returns the name of the output layer. */
    protected abstract String addLayers(GraphBuilder g);

    /** Architecture-specific checks, run by {@link #validate()}. */
    protected void validateSpecific() {
        requireDivisible(2);
    }

    protected void requireDivisible(int d) {
        if (baseWidth % d != 0) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": baseWidth must be divisible by " + d
                    + " (its later layers use baseWidth/" + d + " channels), got " + baseWidth);
        }
    }

    public final void validate() {
        if (numClasses < 2) {
            throw new IllegalArgumentException("numClasses must be at least 2, got " + numClasses);
        }
        if (baseWidth < 1) {
            throw new IllegalArgumentException("baseWidth must be positive, got " + baseWidth);
        }
        if (inputSize < 8 || inputSize % 8 != 0) {
            throw new IllegalArgumentException("inputSize must be a positive multiple of 8, got " + inputSize);
        }
        if (updater == null) {
            throw new IllegalArgumentException("updater must not be null");
        }
        if (!(weightDecay >= 0)) {
            throw new IllegalArgumentException("weightDecay must be 0 or positive, got " + weightDecay);
        }
        validateSpecific();
    }

    /** A fresh graph builder holding this architecture; add vertices to it to extend the design. */
    public GraphBuilder graphBuilder() {
        validate();
        NeuralNetConfiguration.Builder nn = new NeuralNetConfiguration.Builder()
                .seed(seed)
                .updater(updater)
                .weightInit(new TorchDefaultInit())
                .dataType(dataType)
                .convolutionMode(ConvolutionMode.Truncate)
                .trainingWorkspaceMode(WorkspaceMode.ENABLED)
                .inferenceWorkspaceMode(WorkspaceMode.ENABLED);
        if (weightDecay > 0) {
            nn.weightDecay(weightDecay, true);
        }
        GraphBuilder g = nn.graphBuilder()
                .addInputs(INPUT)
                .setInputTypes(InputType.convolutional(inputSize, inputSize, CHANNELS));
        g.setOutputs(addLayers(g));
        return g;
    }

    /**
     * The validated configuration: embed it, serialise it ({@code toJson()}), or build a network from it.
     * It names DL4J's classes only ({@link #withDl4jInit}), so any DL4J program reads it and the models
     * saved from it.
     */
    public ComputationGraphConfiguration conf() {
        return withDl4jInit(graphBuilder().build());
    }

    /**
     * Replaces, in a built configuration, each layer's {@link TorchDefaultInit} with the DL4J built-in that
     * draws the same: {@code WeightInitDistribution(UniformDistribution(-b, b))} with b = 1/sqrt(fan_in) of
     * that layer, now that DL4J has inferred its {@code nIn}. The builder keeps {@code TorchDefaultInit} as its
     * default (one scheme for layers whose size is not known yet); the built configuration, and so every
     * saved model, then needs no cnnlab class to be read. Call it on configurations built from
     * {@link #graphBuilder()} by hand. Returns {@code conf}.
     */
    public static ComputationGraphConfiguration withDl4jInit(ComputationGraphConfiguration conf) {
        for (GraphVertex v : conf.getVertices().values()) {
            if (v instanceof LayerVertex lv && lv.getLayerConf().getLayer() instanceof FeedForwardLayer ff
                    && ff.getWeightInitFn() instanceof TorchDefaultInit) {
                double fanIn = ff.getNIn();
                if (ff instanceof ConvolutionLayer c) {
                    fanIn *= (double) c.getKernelSize()[0] * c.getKernelSize()[1];
                }
                double bound = 1.0 / Math.sqrt(fanIn);
                ff.setWeightInitFn(new WeightInitDistribution(new UniformDistribution(-bound, bound)));
            }
        }
        return conf;
    }

    /**
     * A network with freshly initialised parameters: weights as configured, biases uniform in
     * ±1/sqrt(fan_in) as PyTorch does (DL4J can only start biases at a constant).
     */
    public ComputationGraph init() {
        ComputationGraph graph = new ComputationGraph(conf());
        graph.init();
        initBiasesLikeTorch(graph, seed);
        return graph;
    }

    /** Sets every convolution and dense bias to U(±1/sqrt(fan_in)), drawn from a generator seeded by {@code seed}. */
    public static void initBiasesLikeTorch(ComputationGraph graph, long seed) {
        Random rng = new Random(seed ^ 0x5DEECE66DL);
        for (Layer layer : graph.getLayers()) {
            INDArray bias = layer.paramTable().get("b");
            if (bias == null || !(layer.conf().getLayer() instanceof FeedForwardLayer ff)) {
                continue;
            }
            double fanIn = ff.getNIn();
            if (ff instanceof ConvolutionLayer c) {
                fanIn *= (double) c.getKernelSize()[0] * c.getKernelSize()[1];
            }
            double bound = 1.0 / Math.sqrt(fanIn);
            double[] values = new double[(int) bias.length()];
            for (int i = 0; i < values.length; i++) {
                values[i] = (rng.nextDouble() * 2 - 1) * bound;
            }
            bias.assign(org.nd4j.linalg.factory.Nd4j.create(values, bias.shape()).castTo(bias.dataType()));
        }
    }
}
