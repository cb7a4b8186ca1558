package io.cnnlab.util;

import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * A progress bar on an interactive terminal, nothing otherwise (CI logs get the plain summary lines
 * the callers print). Backed by the progressbar library.
 */
public interface Progress extends AutoCloseable {
    Progress NONE = new Progress() {
        @Override
        public void step(long n) {
        }

        @Override
        public void extra(String message) {
        }

        @Override
        public void close() {
        }
    };

    void step(long n);

    /** Text shown after the bar, e.g. the running loss. */
    void extra(String message);

    @Override
    void close();

    static boolean interactive() {
        return System.console() != null && !"true".equalsIgnoreCase(System.getenv("CI"));
    }

    static Progress of(String task, long max, String unit, long unitSize) {
        if (!interactive()) {
            return NONE;
        }
        ProgressBar bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(max)
                .setStyle(ProgressBarStyle.COLORFUL_UNICODE_BLOCK).setUnit(unit, unitSize)
                .showSpeed().setUpdateIntervalMillis(250).build();
        return new Progress() {
            @Override
            public void step(long n) {
                bar.stepBy(n);
            }

            @Override
            public void extra(String message) {
                bar.setExtraMessage(message);
            }

            @Override
            public void close() {
                bar.close();
            }
        };
    }

    static Progress bytes(String task, long length) {
        return of(task, length, " MB", 1 << 20);
    }
}
