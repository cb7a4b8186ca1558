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

    /** The options given on the command line, as a profile layer. */
    Profile given() {
        return new Profile(null, null, dataset, epochs, batchSize, learningRate, seed, null, data, null, null);
    }
}
