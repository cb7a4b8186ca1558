package io.cnnlab.inference;

import java.util.List;

/**
 * {@code model.json}, written beside every {@code model.zip}: what a program needs to use the model
 * without cnnlab's command line (input layout, class names, normalisation) and how it was trained.
 */
public record ModelInfo(
        String format,
        String arch,
        List<String> classes,
        List<Integer> inputShape,
        String channelOrder,
        double[] normalizationMean,
        double[] normalizationStd,
        long seed,
        int epochs,
        int batchSize,
        double learningRate,
        String updater,
        long trainableParams,
        double trainAccuracy,
        double valAccuracy,
        String dl4jVersion,
        String cnnlabVersion) {
    public static final String FORMAT = "cnnlab-model-1";
}
