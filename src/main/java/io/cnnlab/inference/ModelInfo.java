package io.cnnlab.inference;

import com.fasterxml.jackson.databind.JsonNode;
import io.cnnlab.UserException;
import io.cnnlab.data.Normalization;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code model.json}, written beside every {@code model.zip}: what a program needs to use the model
 * without cnnlab's command line ({@link Input}: shape, channel order, normalisation; the class names)
 * and how it was trained ({@link Training}).
 */
public record ModelInfo(String format, String arch, List<String> classes, Input input, Training training,
                        String dl4jVersion, String cnnlabVersion) {
    public static final String FORMAT = "cnnlab-model-2";
    /** The flat format of cnnlab's first releases, still read. */
    static final String FORMAT_1 = "cnnlab-model-1";

    /** How to feed the network: {@code shape} [3, 32, 32], "RGB", and the per-channel mean and std after /255. */
    public record Input(List<Integer> shape, String channelOrder, double[] normalizationMean, double[] normalizationStd) {
        /** cnnlab's input: 3x32x32 RGB, the notebook's CIFAR normalisation. */
        public static final Input CIFAR = new Input(List.of(3, 32, 32), "RGB", Normalization.CIFAR.mean(),
                Normalization.CIFAR.std());
    }

    /** How the model was trained and how well it did. */
    public record Training(long seed, int epochs, int batchSize, double learningRate, String updater,
                           long trainableParams, double trainAccuracy, double valAccuracy) {
    }

    /** Reads either format from {@code json}; an unknown format is a clear error. */
    static ModelInfo read(JsonNode json, String source) {
        String format = json.path("format").asText("");
        try {
            if (FORMAT.equals(format)) {
                return io.cnnlab.util.Json.MAPPER.treeToValue(json, ModelInfo.class);
            }
            if (FORMAT_1.equals(format)) {
                return new ModelInfo(FORMAT, json.get("arch").asText(), strings(json.get("classes")),
                        new Input(ints(json.get("inputShape")), json.get("channelOrder").asText(),
                                doubles(json.get("normalizationMean")), doubles(json.get("normalizationStd"))),
                        new Training(json.get("seed").asLong(), json.get("epochs").asInt(), json.get("batchSize").asInt(),
                                json.get("learningRate").asDouble(), json.get("updater").asText(),
                                json.get("trainableParams").asLong(), json.get("trainAccuracy").asDouble(),
                                json.get("valAccuracy").asDouble()),
                        json.get("dl4jVersion").asText(), json.get("cnnlabVersion").asText());
            }
        } catch (Exception e) {
            throw new UserException(source + " is not a cnnlab model description (" + e.getMessage().lines().findFirst()
                    .orElse("") + ")");
        }
        throw new UserException(source + " has format '" + format + "', expected '" + FORMAT + "' (or '" + FORMAT_1 + "')");
    }

    private static List<String> strings(JsonNode a) {
        List<String> out = new ArrayList<>();
        a.forEach(n -> out.add(n.asText()));
        return out;
    }

    private static List<Integer> ints(JsonNode a) {
        List<Integer> out = new ArrayList<>();
        a.forEach(n -> out.add(n.asInt()));
        return out;
    }

    private static double[] doubles(JsonNode a) {
        double[] out = new double[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asDouble();
        }
        return out;
    }
}
