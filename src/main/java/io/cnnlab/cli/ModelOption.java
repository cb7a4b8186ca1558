package io.cnnlab.cli;

import io.cnnlab.inference.CnnlabModel;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** {@code --model ZIP} of the commands that use a trained model, as a picocli mixin. */
final class ModelOption {
    @Option(names = "--model", required = true, paramLabel = "ZIP", description = "A run's model.zip (model.json beside it), or a DL4J model zip: then CIFAR input and classes are assumed, and said.")
    Path model;

    CnnlabModel load() {
        return CnnlabModel.load(model, System.err::println);
    }
}
