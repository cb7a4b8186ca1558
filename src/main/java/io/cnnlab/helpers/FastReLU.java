package io.cnnlab.helpers;

import io.cnnlab.util.HostFloats;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Arrays;

import static org.bytedeco.dnnl.global.dnnl.algorithm.eltwise_relu;

/**
 * DL4J's plain ReLU with its backward pass through oneDNN's eltwise primitive, made once per shape.
 *
 * <p>Why: {@link ActivationReLU#backprop} runs ND4J's {@code relu_bp}, whose M2.1 CPU kernel calls a
 * {@code std::function} per element, several times slower than one oneDNN pass (docs/performance-log.md). Same result:
 * the gradient passes where the pre-activation is above 0. Used only at run time by
 * {@link Helpers#accelerate}.
 */
final class FastReLU extends ActivationReLU {
    private static final ThreadLocal<OneDnnPlan.Cache<EltwiseBackward>> PLANS =
            ThreadLocal.withInitial(() -> new OneDnnPlan.Cache<>(16));

    @Override
    public Pair<INDArray, INDArray> backprop(INDArray in, INDArray epsilon) {
        if (!HostFloats.usable(in) || !HostFloats.usable(epsilon) || !Arrays.equals(in.shape(), epsilon.shape())
                || in.rank() < 1 || in.rank() > 5) {
            return super.backprop(in, epsilon);
        }
        EltwiseBackward plan = PLANS.get().get(OneDnnPlan.Cache.key(in, 0),
                () -> new EltwiseBackward(in.shape(), eltwise_relu, false));
        INDArray dLdz = in.ulike();
        plan.run(in, epsilon, dLdz);
        return new Pair<>(dLdz, null);
    }
}
