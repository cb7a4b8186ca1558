package io.cnnlab.train;

import io.cnnlab.parallel.DataParallel;
import io.cnnlab.UserException;
import io.cnnlab.model.Architectures;

import java.nio.file.Path;

/**
 * Everything one training run needs. The defaults are the notebook's: SGD with lr 1e-2, batch 64,
 * 100 epochs, seed 42 (its {@code torch.manual_seed(42)}). {@code workers} is how many threads share
 * each batch ({@link DataParallel}); 0 means {@code DataParallel.autoWorkers()}, resolved when training starts.
 */
public record TrainConfig(String arch, String dataset, int epochs, int batchSize, double learningRate,
                          long seed, String data, Path out, boolean nanGuard, int workers) {

    /** A configuration with the worker count chosen automatically. */
    public TrainConfig(String arch, String dataset, int epochs, int batchSize, double learningRate,
                       long seed, String data, Path out, boolean nanGuard) {
        this(arch, dataset, epochs, batchSize, learningRate, seed, data, out, nanGuard, 0);
    }

    public TrainConfig {
        Architectures.get(arch); // fails with the list of valid names
        if (epochs < 1) {
            throw new UserException("epochs must be a positive whole number, got " + epochs);
        }
        if (batchSize < 1) {
            throw new UserException("batch size must be a positive whole number, got " + batchSize);
        }
        if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
            throw new UserException("learning rate must be a positive number, got " + learningRate);
        }
        if (workers < 0) {
            throw new UserException("workers must be a positive whole number, got " + workers);
        }
    }

    public TrainConfig withOut(Path newOut) {
        return new TrainConfig(arch, dataset, epochs, batchSize, learningRate, seed, data, newOut, nanGuard, workers);
    }

    public TrainConfig withEpochs(int newEpochs) {
        return new TrainConfig(arch, dataset, newEpochs, batchSize, learningRate, seed, data, out, nanGuard, workers);
    }

    public TrainConfig withWorkers(int newWorkers) {
        return new TrainConfig(arch, dataset, epochs, batchSize, learningRate, seed, data, out, nanGuard, newWorkers);
    }

    public TrainConfig withSeed(long newSeed) {
        return new TrainConfig(arch, dataset, epochs, batchSize, learningRate, newSeed, data, out, nanGuard, workers);
    }
}
