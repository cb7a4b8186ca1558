package io.cnnlab.train;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.BaseTrainingListener;

import java.io.PrintStream;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;

/**
 * The notebook's training log: "{@code <timestamp> Epoch N, Training loss L}" for epoch 1, every
 * tenth epoch and the last, where L is the epoch's mean training loss, as {@link EpochHistory} records it.
 */
public final class NotebookLog extends BaseTrainingListener {
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSS");
    private final PrintStream out;
    private final EpochHistory history;
    private final int epochs;

    /**
     * Logs to {@code out} the losses {@code history} records; {@code epochs} is the run's length (its last
     * epoch is always logged). Registered after {@code history}, which DL4J calls first.
     */
    public NotebookLog(PrintStream out, EpochHistory history, int epochs) {
        this.out = out;
        this.history = history;
        this.epochs = epochs;
    }

    @Override
    public void onEpochEnd(Model model) {
        int epoch = history.trainLoss().size();
        if (epoch == 1 || epoch % 10 == 0 || epoch == epochs) {
            out.printf("%s Epoch %d, Training loss %s%n", LocalDateTime.now().format(STAMP), epoch,
                    history.trainLoss().get(epoch - 1));
        }
    }
}
