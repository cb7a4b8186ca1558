package io.cnnlab.train;

import io.cnnlab.UserException;
import io.cnnlab.util.Words;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.linalg.schedule.MapSchedule;
import org.nd4j.linalg.schedule.ScheduleType;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * How a run trains beyond architecture and budget: the notebook's recipe ({@link #NOTEBOOK}: plain SGD
 * at a constant rate, no augmentation) or one that fights its overfitting. Every element is DL4J's or
 * ND4J's own piece: the updaters ({@link Sgd}, {@link Nesterovs}, {@link Adam}), learning-rate
 * {@link ISchedule}s evaluated per epoch, and weight decay on the layer configuration; augmentation and
 * label smoothing act on the batches ({@code io.cnnlab.data.Augmentation}, {@code LabelSmoothing}).
 *
 * @param augment        random crop (padding 4) and horizontal flip of every training image
 * @param cutout         side of the square Cutout masks in every training image, 0 for none
 * @param optimizer      sgd, nesterov (SGD with Nesterov momentum) or adam
 * @param momentum       Nesterov's momentum (ignored otherwise)
 * @param weightDecay    decoupled weight decay on the weights: each step shrinks them by the learning rate times
 *                       this, after the updater (SGDW, AdamW); PyTorch's coupled {@code weight_decay} W with
 *                       momentum m is about W/(1-m) here
 * @param schedule       constant, step (x0.1 at 1/2 and 3/4 of the epochs), cosine (to 0), or onecycle
 *                       (linear up to the rate over the warm-up, then linear down to 0)
 * @param warmupEpochs   epochs of linear warm-up from 1/10 of the rate (cosine and onecycle)
 * @param labelSmoothing eps of label smoothing, 0 for one-hot labels
 * @param earlyStop      stop when validation accuracy has not improved for this many epochs and keep the
 *                       best epoch's model ({@link EarlyStopping}); 0: train every epoch
 */
public record Recipe(boolean augment, int cutout, String optimizer, double momentum, double weightDecay, String schedule,
                     int warmupEpochs, double labelSmoothing, int earlyStop) {
    public static final List<String> OPTIMIZERS = List.of("sgd", "nesterov", "adam");
    public static final List<String> SCHEDULES = List.of("constant", "step", "cosine", "onecycle");
    /** The notebook's: SGD at a constant rate on the plain images. */
    public static final Recipe NOTEBOOK = new Recipe(false, 0, "sgd", 0.9, 0, "constant", 0, 0, 0);

    public Recipe {
        optimizer = optimizer == null ? "sgd" : optimizer;
        schedule = schedule == null ? "constant" : schedule;
        if (!OPTIMIZERS.contains(optimizer)) {
            throw new UserException("unknown optimizer '" + optimizer + "'; choose one of " + String.join(", ", OPTIMIZERS));
        }
        if (!SCHEDULES.contains(schedule)) {
            throw new UserException("unknown schedule '" + schedule + "'; choose one of " + String.join(", ", SCHEDULES));
        }
        if (cutout < 0 || cutout > io.cnnlab.data.LabeledImages.SIDE) {
            throw new UserException("cutout must be 0 (off) to " + io.cnnlab.data.LabeledImages.SIDE
                    + " pixels, got " + cutout);
        }
        if (!(momentum >= 0 && momentum < 1)) {
            throw new UserException("momentum must be in [0, 1), got " + momentum);
        }
        if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
            throw new UserException("weight decay must be 0 or a positive number, got " + weightDecay);
        }
        if (warmupEpochs < 0) {
            throw new UserException("warm-up epochs must be 0 or more, got " + warmupEpochs);
        }
        if (earlyStop < 0) {
            throw new UserException("early-stopping patience must be 0 (off) or more epochs, got " + earlyStop);
        }
        if (!(labelSmoothing >= 0 && labelSmoothing < 1)) {
            throw new UserException("label smoothing must be in [0, 1), got " + labelSmoothing);
        }
    }

    /** The recipe in a few words, for logs and reports: the notebook's, or what differs from it. */
    public String describe() {
        if (equals(NOTEBOOK)) {
            return "the notebook's (SGD, constant rate, no augmentation)";
        }
        List<String> parts = new java.util.ArrayList<>();
        parts.add(optimizer + (optimizer.equals("nesterov") ? " (momentum " + momentum + ")" : ""));
        parts.add(schedule + " schedule" + (warmupEpochs > 0 ? ", " + warmupEpochs + " warm-up epochs" : ""));
        if (augmentation().isOn()) {
            parts.add(augmentation().describe());
        }
        if (weightDecay > 0) {
            parts.add("weight decay " + weightDecay);
        }
        if (labelSmoothing > 0) {
            parts.add("label smoothing " + labelSmoothing);
        }
        if (earlyStop > 0) {
            parts.add("early stopping after " + Words.count(earlyStop, "epoch") + " without improvement");
        }
        return String.join(", ", parts);
    }

    /** What this recipe does to the training images. */
    public io.cnnlab.data.Augmentation augmentation() {
        return new io.cnnlab.data.Augmentation(augment, cutout);
    }

    /** The updater for a run of {@code epochs} epochs at base rate {@code lr}. */
    public IUpdater updater(double lr, int epochs) {
        ISchedule s = schedule(lr, epochs);
        return switch (optimizer) {
            case "nesterov" -> s == null ? new Nesterovs(lr, momentum) : new Nesterovs(s, momentum);
            case "adam" -> s == null ? new Adam(lr) : new Adam(s);
            default -> s == null ? new Sgd(lr) : new Sgd(s);
        };
    }

    /** The learning rate of each epoch, or null for a constant rate. */
    ISchedule schedule(double lr, int epochs) {
        if (schedule.equals("constant")) {
            return null;
        }
        if (schedule.equals("step")) {
            return stepsAt(lr, epochs);
        }
        Map<Integer, Double> byEpoch = new HashMap<>();
        for (int e = 0; e < epochs; e++) {
            double rate;
            if (e < warmupEpochs) {
                rate = lr * (0.1 + 0.9 * e / warmupEpochs);
            } else {
                double t = (double) (e - warmupEpochs) / Math.max(1, epochs - warmupEpochs);
                rate = schedule.equals("cosine") ? lr * 0.5 * (1 + Math.cos(Math.PI * t)) : lr * (1 - t);
            }
            byEpoch.put(e, rate);
        }
        return new MapSchedule(ScheduleType.EPOCH, byEpoch);
    }

    private static ISchedule stepsAt(double lr, int epochs) {
        Map<Integer, Double> byEpoch = new HashMap<>();
        for (int e = 0; e < epochs; e++) {
            byEpoch.put(e, e < epochs / 2 ? lr : e < epochs * 3 / 4 ? lr * 0.1 : lr * 0.01);
        }
        return new MapSchedule(ScheduleType.EPOCH, byEpoch);
    }
}
