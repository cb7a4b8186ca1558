package io.cnnlab.cli;

import io.cnnlab.UserException;
import io.cnnlab.data.ImageDecoder;
import io.cnnlab.inference.CnnlabModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code cnnlab predict}: the most likely classes of image files. */
@Command(name = "predict", mixinStandardHelpOptions = true,
        description = "Classify PNG/JPEG files of any size (scaled to 32x32, normalised as in training).")
public final class PredictCommand implements Callable<Integer> {
    @picocli.CommandLine.Mixin
    ModelOption modelOption = new ModelOption();
    @Option(names = "--top", defaultValue = "3", description = "Classes to show per image; default ${DEFAULT-VALUE}.")
    int top;
    @Parameters(arity = "1..*", paramLabel = "IMAGE", description = "Image files.")
    List<Path> images;

    @Override
    public Integer call() {
        CnnlabModel m = modelOption.load();
        for (Path image : images) {
            if (!Files.isRegularFile(image)) {
                throw new UserException("image " + image + " does not exist");
            }
            byte[] bytes;
            try {
                bytes = Files.readAllBytes(image);
            } catch (IOException e) {
                throw new UserException("cannot read image " + image + ": " + e.getMessage());
            }
            List<CnnlabModel.Prediction> p = m.classify(ImageDecoder.decode(bytes, image.toString()));
            StringBuilder line = new StringBuilder(image.toString()).append(':');
            for (CnnlabModel.Prediction pr : p.subList(0, Math.min(Math.max(1, top), p.size()))) {
                line.append(String.format("  %s %.4f", pr.label(), pr.probability()));
            }
            System.out.println(line);
        }
        return 0;
    }
}
