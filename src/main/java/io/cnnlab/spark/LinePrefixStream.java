package io.cnnlab.spark;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;

/**
 * Writes whole lines to {@code target}, each behind {@code prefix}: the logs of runs that share an
 * executor's standard output (and, in local mode, the driver's console) stay apart and readable.
 */
final class LinePrefixStream extends OutputStream {
    private final PrintStream target;
    private final String prefix;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();

    LinePrefixStream(PrintStream target, String prefix) {
        this.target = target;
        this.prefix = prefix;
    }

    @Override
    public synchronized void write(int b) {
        if (b == '\n') {
            emit();
        } else {
            line.write(b);
        }
    }

    /** Writes what is left of a last, unfinished line. (flush() does not: it comes after every printf piece.) */
    @Override
    public synchronized void close() {
        if (line.size() > 0) {
            emit();
        }
    }

    private void emit() {
        synchronized (target) {
            target.println(prefix + line.toString(java.nio.charset.StandardCharsets.UTF_8));
        }
        line.reset();
    }
}
