package io.cnnlab.cli;

import io.cnnlab.experiment.Profile;
import io.cnnlab.UserException;
import io.cnnlab.data.Pipeline;

import picocli.CommandLine.Option;


/**
 * The run settings that train, compare and bench share, as a picocli mixin. Unset options stay null
 * so that each command can layer them over its profiles and defaults.
 */
final class RunOptions {
    @Option(names = "--dataset", description = "cifar2 (airplane, bird), cifar10, or class names a,b,...; default cifar2.")
    String dataset;
    @Option(names = "--epochs", description = "Epochs per run; default 100 (bench: timed epochs after a warm-up, default 3).")
    Integer epochs;
    @Option(names = "--batch-size", description = "Minibatch size; default 64.")
    Integer batchSize;
    @Option(names = "--lr", description = "SGD learning rate; default the architecture's profile rate (0.01; resdeep 0.001).")
    Double learningRate;
    @Option(names = "--seed", description = "Random seed for initialisation and shuffling; default 42 (compare: the first seed).")
    Long seed;
    @Option(names = "--data", paramLabel = "PATH|URL",
            description = "CIFAR-10 binary tarball or folder, image tree (folder, .tar.gz, .zip) or URL; "
                    + "default $CNNLAB_DATA, else the official download.")
    String data;
    @Option(names = "--workers", paramLabel = "N",
            description = "Threads that share each batch, each on a slice (the same SGD step; see README); default one "
                    + "per core up to 4 (batch norm synchronised across them), 1 on GPUs.")
    Integer workers;

    @Option(names = "--pipeline", paramLabel = "memory|datavec",
            description = "How batches are made: memory (default; cnnlab's in-memory iterator) or datavec (DataVec's "
                    + "RecordReaderDataSetIterator over CifarRecordReader); both give the same batches.")
    Pipeline pipeline = Pipeline.MEMORY;

    /** --workers as TrainConfig takes it: 0 for automatic. */
    int workers() {
        if (workers != null && workers < 1) {
            throw new UserException("--workers must be a positive whole number, got " + workers);
        }
        return workers == null ? 0 : workers;
    }

    @Option(names = "--augment", negatable = true, description = "Random crop (padding 4) and horizontal flip of "
            + "every training image; default off (the notebook's).")
    Boolean augment;
    @Option(names = "--cutout", paramLabel = "N", description = "Cutout: mask one NxN square (mean colour) at a random "
            + "place of every training image, after crop/flip; default 0 (off).")
    Integer cutout;
    @Option(names = "--optimizer", paramLabel = "sgd|nesterov|adam", description = "Default sgd (the notebook's).")
    String optimizer;
    @Option(names = "--momentum", description = "Nesterov momentum; default 0.9.")
    Double momentum;
    @Option(names = "--weight-decay", paramLabel = "W", description = "Decoupled weight decay on the weights: each step shrinks them by"
            + " the learning rate times W (PyTorch's SGD weight_decay V with momentum m matches W = V/(1-m)); default 0.")
    Double weightDecay;
    @Option(names = "--schedule", paramLabel = "constant|step|cosine|onecycle",
            description = "Learning-rate schedule over the epochs; default constant (the notebook's).")
    String schedule;
    @Option(names = "--lr-warmup-epochs", paramLabel = "N", description = "Linear warm-up epochs (cosine, onecycle); default 0.")
    Integer lrWarmupEpochs;
    @Option(names = "--label-smoothing", paramLabel = "EPS", description = "Label smoothing; default 0.")
    Double labelSmoothing;
    @Option(names = "--early-stop", paramLabel = "N", description = "Stop when validation accuracy has not improved "
            + "for N epochs, keeping the best epoch's model; default 0 (off).")
    Integer earlyStop;

    @Option(names = "--width", paramLabel = "N", description = "The architecture's base width, the notebook's n_chans1 "
            + "(channels of the first convolution; later layers scale with it); default 16 for net, 32 for the others.")
    Integer width;

    /** The options given on the command line, as a profile layer. */
    Profile given() {
        return Profile.given("dataset", dataset, "epochs", epochs, "batchSize", batchSize, "learningRate", learningRate,
                "seed", seed, "data", data, "augment", augment, "cutout", cutout, "optimizer", optimizer, "momentum", momentum,
                "weightDecay", weightDecay, "schedule", schedule, "lrWarmupEpochs", lrWarmupEpochs,
                "labelSmoothing", labelSmoothing, "earlyStop", earlyStop, "width", width);
    }
}
