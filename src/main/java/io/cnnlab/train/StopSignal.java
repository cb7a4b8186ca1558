package io.cnnlab.train;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Ctrl-C (SIGINT) as a request: the first one asks the training loop to stop at the next batch
 * boundary and save a checkpoint; a second one exits at once with code 130.
 */
public final class StopSignal {
    private static final AtomicBoolean REQUESTED = new AtomicBoolean();
    private static final AtomicBoolean INSTALLED = new AtomicBoolean();

    private StopSignal() {
    }

    /** Installs the SIGINT handler (once per process). */
    @SuppressWarnings("restriction")
    public static void install() {
        if (!INSTALLED.compareAndSet(false, true)) {
            return;
        }
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("INT"), sig -> {
                if (!REQUESTED.compareAndSet(false, true)) {
                    System.err.println("\ncnnlab: stopped without saving");
                    Runtime.getRuntime().halt(130);
                }
                System.err.println("\ncnnlab: stopping after this batch (Ctrl-C again to quit at once)");
            });
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            // no SIGINT on this platform: Ctrl-C then ends the JVM the usual way
        }
    }

    public static boolean requested() {
        return REQUESTED.get();
    }

    /** For tests and embedders: ask the running loop to stop, as Ctrl-C does. */
    public static void request() {
        REQUESTED.set(true);
    }

    public static void clear() {
        REQUESTED.set(false);
    }
}
