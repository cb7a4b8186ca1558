package io.cnnlab.helpers;

import io.cnnlab.util.HostFloats;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.scalar.RectifiedLinear;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Arrays;
import java.util.function.Supplier;

import static org.bytedeco.dnnl.global.dnnl.algorithm.eltwise_relu;

/**
 * DL4J's plain ReLU with its backward pass through oneDNN's eltwise primitive, made once per shape.
 *
 * <p>Why: {@link ActivationReLU#backprop} runs ND4J's {@code relu_bp}, whose M2.1 CPU kernel calls a
 * {@code std::function} per element, several times slower than one oneDNN pass (docs/performance-log.md). Same result:
 * the gradient passes where the pre-activation is above 0. Used only at run time by
 * {@link Helpers#accelerate}.
 */
final class FastReLU extends ActivationReLU implements OutOfPlaceActivation {
    private static final ThreadLocal<OneDnnPlan.Cache<EltwiseBackward>> PLANS =
            ThreadLocal.withInitial(() -> new OneDnnPlan.Cache<>(16));

    @Override
    public Pair<INDArray, INDArray> backprop(INDArray in, INDArray epsilon) {
        INDArray dLdz = backward(in, epsilon, in::ulike);
        return dLdz != null ? new Pair<>(dLdz, null) : super.backprop(in, epsilon);
    }

    /** DL4J's forward op for plain ReLU ({@code RectifiedLinear}), with its own output. */
    @Override
    public void forward(INDArray in, INDArray out) {
        Nd4j.getExecutioner().exec(new RectifiedLinear(in, out));
    }

    @Override
    public INDArray backward(INDArray in, INDArray dy, Supplier<INDArray> dx) {
        if (!HostFloats.usable(in) || !HostFloats.usable(dy) || !Arrays.equals(in.shape(), dy.shape())
                || in.rank() < 1 || in.rank() > 5) {
            return null;
        }
        INDArray out = dx.get();
        if (!HostFloats.usable(out) || !Arrays.equals(in.shape(), out.shape())) {
            return null;
        }
        EltwiseBackward plan = PLANS.get().get(OneDnnPlan.Cache.key(in, 0),
                () -> new EltwiseBackward(in.shape(), eltwise_relu, false));
        plan.run(in, dy, out);
        return out;
    }
}
