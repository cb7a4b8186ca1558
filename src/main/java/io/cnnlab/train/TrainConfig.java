package io.cnnlab.train;

import io.cnnlab.parallel.DataParallel;
import io.cnnlab.UserException;
import io.cnnlab.model.ArchitectureBuilder;
import io.cnnlab.model.Architectures;

import java.nio.file.Path;

/**
 * Everything one training run needs. The defaults are the notebook's: SGD with lr 1e-2, batch 64,
 * 100 epochs, seed 42 (its {@code torch.manual_seed(42)}), its {@link Recipe#NOTEBOOK recipe}. {@code workers} is how many threads share
 * each batch ({@link DataParallel}); 0 means {@code DataParallel.autoWorkers()}, resolved when training starts.
 * {@code width} is the architecture's base width (the notebook's {@code n_chans1}); 0 means its default (16 for net, 32 for the others).
 */
public record TrainConfig(String arch, String dataset, int epochs, int batchSize, double learningRate,
                          long seed, String data, Path out, boolean nanGuard, int workers, Recipe recipe, int width) {

    /** A configuration at the architecture's default width. */
    public TrainConfig(String arch, String dataset, int epochs, int batchSize, double learningRate,
                       long seed, String data, Path out, boolean nanGuard, int workers, Recipe recipe) {
        this(arch, dataset, epochs, batchSize, learningRate, seed, data, out, nanGuard, workers, recipe, 0);
    }

    /** A configuration with the notebook's recipe. */
    public TrainConfig(String arch, String dataset, int epochs, int batchSize, double learningRate,
                       long seed, String data, Path out, boolean nanGuard, int workers) {
        this(arch, dataset, epochs, batchSize, learningRate, seed, data, out, nanGuard, workers, Recipe.NOTEBOOK);
    }

    /** A configuration with the notebook's recipe and the worker count chosen automatically. */
    public TrainConfig(String arch, String dataset, int epochs, int batchSize, double learningRate,
                       long seed, String data, Path out, boolean nanGuard) {
        this(arch, dataset, epochs, batchSize, learningRate, seed, data, out, nanGuard, 0);
    }

    public TrainConfig {
        recipe = recipe == null ? Recipe.NOTEBOOK : recipe; // checkpoints of earlier releases name none
        ArchitectureBuilder<?> model = Architectures.get(arch).create(); // fails with the list of valid names
        if (width < 0) {
            throw new UserException("width must be a positive whole number, got " + width);
        }
        if (width > 0) {
            try {
                model.baseWidth(width).validate();
            } catch (IllegalArgumentException e) {
                throw new UserException(arch + " cannot have width " + width + ": " + e.getMessage());
            }
        }
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
        return new TrainConfig(arch, dataset, epochs, batchSize, learningRate, seed, data, newOut, nanGuard, workers, recipe, width);
    }

    public TrainConfig withEpochs(int newEpochs) {
        return new TrainConfig(arch, dataset, newEpochs, batchSize, learningRate, seed, data, out, nanGuard, workers, recipe, width);
    }

    public TrainConfig withWorkers(int newWorkers) {
        return new TrainConfig(arch, dataset, epochs, batchSize, learningRate, seed, data, out, nanGuard, newWorkers, recipe, width);
    }

    public TrainConfig withRecipe(Recipe newRecipe) {
        return new TrainConfig(arch, dataset, epochs, batchSize, learningRate, seed, data, out, nanGuard, workers, newRecipe, width);
    }

    public TrainConfig withWidth(int newWidth) {
        return new TrainConfig(arch, dataset, epochs, batchSize, learningRate, seed, data, out, nanGuard, workers, recipe, newWidth);
    }

    /** The base width the model is built with: {@link #width} or, when that is 0, the architecture's default. */
    public int baseWidth() {
        return width > 0 ? width : Architectures.get(arch).create().baseWidth();
    }

    public TrainConfig withSeed(long newSeed) {
        return new TrainConfig(arch, dataset, epochs, batchSize, learningRate, newSeed, data, out, nanGuard, workers, recipe, width);
    }
}
