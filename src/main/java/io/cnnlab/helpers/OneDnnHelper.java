package io.cnnlab.helpers;

import org.deeplearning4j.nn.layers.LayerHelper;

import java.util.List;
import java.util.Map;

/**
 * What cnnlab's oneDNN layer helpers share: DL4J's own helper, which the calls they do not cover go to,
 * and their plans by input shape.
 */
abstract class OneDnnHelper<H extends LayerHelper, P extends OneDnnPlan> implements LayerHelper {
    final H dl4j;
    final OneDnnPlan.Cache<P> plans = new OneDnnPlan.Cache<>();

    OneDnnHelper(H dl4j) {
        this.dl4j = dl4j;
    }

    /** DL4J's own helper, which the calls this helper does not cover go to. */
    public H dl4j() {
        return dl4j;
    }

    /** Frees this layer's plans now rather than at a GC; the next call makes them again. */
    void release() {
        plans.clear();
    }

    /** The oneDNN kernels of the plan used last, empty if that call went to DL4J's helper. */
    List<String> kernels() {
        return plans.lastKernels();
    }

    @Override
    public boolean checkSupported() {
        return dl4j.checkSupported();
    }

    @Override
    public Map<String, Long> helperMemoryUse() {
        return dl4j.helperMemoryUse();
    }
}
