package io.cnnlab.train;

import io.cnnlab.backend.Backend;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.BaseTrainingListener;

/**
 * Gives glibc's freed pages back ({@link Backend#freeNativeMemory()}) after a run's first two steps and
 * after its first epoch. DL4J sizes its workspaces in a network's first step: that step's arrays are
 * allocated one by one and freed, then each workspace is allocated whole, and the first evaluation does
 * the same for inference. glibc keeps the freed arrays' pages in its heaps, where nothing reuses them:
 * without this a `resdeep` run carries ~300 MB of them to its end (0.8 GB of RSS instead of 0.5).
 *
 * <p>Not at every epoch: later epochs free and allocate again ~150-200 MB of `net`'s memory each, so a
 * release per epoch returns pages that are faulted in again at once; it kept a 100-epoch `net` run at
 * 0.82 GB but made its epochs ~35% slower (docs/performance-log.md). Each release takes 3-50 ms.
 */
public final class NativeMemoryRelease extends BaseTrainingListener {
    private final Runnable release;
    private int steps;
    private boolean firstEpochDone;

    /** Releases through {@link Backend#freeNativeMemory()}. */
    public NativeMemoryRelease() {
        this(Backend::freeNativeMemory);
    }

    NativeMemoryRelease(Runnable release) {
        this.release = release;
    }

    @Override
    public void iterationDone(Model model, int iteration, int epoch) {
        if (++steps <= 2) {
            release.run();
        }
    }

    @Override
    public void onEpochEnd(Model model) {
        if (!firstEpochDone) {
            firstEpochDone = true;
            release.run();
        }
    }
}
