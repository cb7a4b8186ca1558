package io.cnnlab.helpers;

import org.nd4j.linalg.activations.impl.ActivationTanH;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.impl.transforms.gradient.TanhDerivative;
import org.nd4j.linalg.factory.Nd4j;

import java.util.function.Supplier;

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
final class OneDnnTanH extends ActivationTanH implements OutOfPlaceActivation {

    @Override
    public INDArray getActivation(INDArray in, boolean training) {
        forward(in, in);
        return in;
    }

    @Override
    public void forward(INDArray in, INDArray out) {
        Nd4j.exec(DynamicCustomOp.builder("tanh").addInputs(in).addOutputs(out).build());
    }

    /** DL4J's backward op for tanh ({@code TanhDerivative}, which it runs in place), with its own output. */
    @Override
    public INDArray backward(INDArray in, INDArray dy, Supplier<INDArray> dx) {
        INDArray out = dx.get();
        Nd4j.exec(new TanhDerivative(in, dy, out));
        return out;
    }
}
