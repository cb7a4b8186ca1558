package io.cnnlab.train;

/** Training ended early on purpose (Ctrl-C) or by the divergence guard; carries the process exit code. */
public final class TrainingStopped extends RuntimeException {
    public static final int DIVERGED = 3;
    public static final int INTERRUPTED = 130;

    private final int exitCode;

    public TrainingStopped(String message, int exitCode) {
        super(message);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }
}
