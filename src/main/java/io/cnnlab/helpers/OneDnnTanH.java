package io.cnnlab.helpers;

import org.nd4j.linalg.activations.impl.ActivationTanH;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * DL4J's tanh, computed by ND4J's custom op {@code tanh} instead of the legacy transform.
 *
 * <p>Why: {@link ActivationTanH} runs the legacy strict transform, which in M2.1 evaluates
 * {@code pow(e, 2x)} element by element; the custom op has a oneDNN platform implementation,
 * JIT-vectorised and an order of magnitude faster, equal to within float rounding (docs/performance-log.md).
 * The backward pass ({@code tanh_bp}) already goes through a custom op and is inherited unchanged.
 * Used only at run time by {@link Helpers#accelerate}; configurations keep DL4J's own class, so saved
 * models load in any DL4J program.
 */
final class OneDnnTanH extends ActivationTanH {

    @Override
    public INDArray getActivation(INDArray in, boolean training) {
        Nd4j.exec(DynamicCustomOp.builder("tanh").addInputs(in).addOutputs(in).build());
        return in;
    }
}
