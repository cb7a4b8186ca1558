package io.cnnlab.inference;

import io.cnnlab.backend.Backend;
import io.cnnlab.data.CifarData;
import io.cnnlab.model.ParamCount;
import io.cnnlab.util.Json;
import io.cnnlab.UserException;
import io.cnnlab.data.ImageDecoder;
import io.cnnlab.data.LabeledImages;
import io.cnnlab.data.Normalization;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.enums.PadMode;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.Pad;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;

/**
 * A trained cnnlab model: the network from {@code model.zip} and what {@code model.json} beside it
 * says about its input and classes. The Java API for using a model outside the command line:
 * <pre>{@code
 * CnnlabModel model = CnnlabModel.load(Path.of("runs/net/model.zip"));
 * List<CnnlabModel.Prediction> top = model.classify(ImageIO.read(new File("plane.jpg")));
 * }</pre>
 */
public final class CnnlabModel {
    private final ComputationGraph graph;
    private final ModelInfo info;
    private final Normalization normalization;

    private CnnlabModel(ComputationGraph graph, ModelInfo info) {
        this.graph = graph;
        this.info = info;
        this.normalization = new Normalization(info.input().normalizationMean(), info.input().normalizationStd());
    }

    /** One class and its probability. */
    public record Prediction(String label, double probability) {
    }

    /** Loads {@code model.zip} and its {@code model.json}; anything else is a clear error. */
    public static CnnlabModel load(Path zip) {
        return load(zip, null);
    }

    /**
     * Loads {@code model.zip}; if no {@code model.json} is beside it (a model from another DL4J program) and
     * {@code assumptions} is not null, assumes what cnnlab's models take (3x32x32 RGB, CIFAR normalisation,
     * CIFAR-2's or CIFAR-10's classes by the number of outputs), tells {@code assumptions} so in one line,
     * and checks the network does take such an input.
     */
    public static CnnlabModel load(Path zip, Consumer<String> assumptions) {
        Path json = zip.resolveSibling("model.json");
        boolean described = Files.isRegularFile(json);
        if (Files.isRegularFile(zip) && !described && assumptions == null) {
            throw new UserException(zip + " is not a cnnlab model: there is no model.json beside it");
        }
        ModelInfo info = null;
        if (described) {
            try {
                info = ModelInfo.read(Json.MAPPER.readTree(json.toFile()), json.toString());
            } catch (IOException e) {
                throw new UserException(json + " is not a cnnlab model description (" + e.getMessage().lines().findFirst().orElse("") + ")");
            }
        }
        ComputationGraph graph = ModelFiles.load(zip, false);
        long outputs = graph.getOutputLayer(0).getParam("b").length();
        if (info == null) {
            info = assumed(zip, graph, outputs, assumptions);
        }
        if (outputs != info.classes().size()) {
            throw new UserException(zip + " does not match its model.json: " + outputs + " outputs for "
                    + info.classes().size() + " classes");
        }
        return new CnnlabModel(graph, info);
    }

    private static ModelInfo assumed(Path zip, ComputationGraph graph, long outputs, Consumer<String> assumptions) {
        List<String> classes = outputs == 2 ? CifarData.CIFAR2_CLASSES : outputs == 10 ? CifarData.CIFAR10_CLASSES : null;
        if (classes == null) {
            throw new UserException(zip + " has no model.json beside it and " + outputs + " outputs, so its classes are"
                    + " unknown; write a model.json beside it (its format: README, Export) naming them");
        }
        try {
            graph.outputSingle(Nd4j.zeros(DataType.FLOAT, 1, 3, LabeledImages.SIDE, LabeledImages.SIDE)).close();
        } catch (RuntimeException e) {
            throw new UserException(zip + " has no model.json beside it and does not take a 3x32x32 image (" + firstLine(e)
                    + "); cnnlab evaluates and predicts with CIFAR-shaped models only");
        }
        assumptions.accept("cnnlab: no model.json beside " + zip + "; assuming 3x32x32 RGB input normalised with CIFAR's"
                + " mean and std, and the classes " + String.join(", ", classes) + " (" + outputs + " outputs)");
        return new ModelInfo(ModelInfo.FORMAT, "unknown", classes, ModelInfo.Input.CIFAR,
                new ModelInfo.Training(0, 0, 0, 0, "unknown", ParamCount.trainable(graph), Double.NaN, Double.NaN),
                "unknown", "unknown");
    }

    private static String firstLine(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return String.valueOf(root.getMessage()).lines().findFirst().orElse(root.getClass().getSimpleName());
    }

    public ComputationGraph graph() {
        return graph;
    }

    public ModelInfo info() {
        return info;
    }

    public List<String> classes() {
        return info.classes();
    }

    public Normalization normalization() {
        return normalization;
    }

    /**
     * Test-time augmentation: the class probabilities of {@code features} [n, 3, h, w] averaged with those of
     * their mirror images (flipped along the width), as the horizontal flip of training augmentation makes
     * both equally likely inputs.
     */
    public INDArray flipAveragedOutput(INDArray features) {
        INDArray mirrored = Nd4j.exec(new org.nd4j.linalg.api.ops.impl.transforms.custom.Reverse(features, 3))[0];
        INDArray p = Backend.output(graph, features).dup();
        INDArray q = Backend.output(graph, mirrored);
        return p.addi(q).muli(0.5);
    }

    /**
     * Class probabilities of {@code features} [n, 3, h, w] (normalised), [n, classes], under test-time
     * augmentation {@code tta}. {@link TestTimeAugmentation#NONE} gives exactly the network's output.
     */
    public INDArray output(INDArray features, TestTimeAugmentation tta) {
        return switch (tta) {
            case NONE -> Backend.output(graph, features);
            case FLIP -> flipAveragedOutput(features);
            case FLIP_TRANSLATE -> {
                // ND4J's reflect padding by one pixel, then the two diagonal 1-pixel shifts cut from it
                long h = features.size(2);
                long w = features.size(3);
                INDArray padded = Nd4j.exec(new Pad(features, Nd4j.createFromArray(new int[][] {{0, 0}, {0, 0}, {1, 1}, {1, 1}}),
                        PadMode.REFLECT, 0.0))[0];
                INDArray upLeft = padded.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(2, h + 2),
                        NDArrayIndex.interval(2, w + 2)).dup('c');
                INDArray downRight = padded.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, h),
                        NDArrayIndex.interval(0, w)).dup('c');
                yield flipAveragedOutput(features).muli(0.5)
                        .addi(flipAveragedOutput(upLeft).muli(0.25))
                        .addi(flipAveragedOutput(downRight).muli(0.25));
            }
        };
    }

    /** Class probabilities of an image of any size (scaled to 32x32), most likely first. */
    public List<Prediction> classify(BufferedImage image) {
        byte[] chw = new byte[LabeledImages.IMAGE_BYTES];
        ImageDecoder.toChw(ImageDecoder.resizeTo32(image), chw, 0);
        float[] x = new float[LabeledImages.IMAGE_BYTES];
        normalization.apply(chw, 0, x, 0);
        INDArray out = graph.outputSingle(Nd4j.create(x, new long[] {1, 3, 32, 32}, DataType.FLOAT));
        List<Prediction> p = new ArrayList<>();
        for (int k = 0; k < info.classes().size(); k++) {
            p.add(new Prediction(info.classes().get(k), out.getDouble(0, k)));
        }
        p.sort(Comparator.comparingDouble(Prediction::probability).reversed());
        return p;
    }
}
