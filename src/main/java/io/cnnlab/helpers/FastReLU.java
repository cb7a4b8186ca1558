package io.cnnlab.helpers;

import io.cnnlab.util.HostFloats;
import org.bytedeco.dnnl.eltwise_backward;
import org.bytedeco.dnnl.eltwise_forward;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.primitive;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Arrays;
import java.util.Map;

import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SRC;
import static org.bytedeco.dnnl.global.dnnl.algorithm.eltwise_relu;
import static org.bytedeco.dnnl.global.dnnl.prop_kind.forward_training;

/**
 * DL4J's plain ReLU with its backward pass through oneDNN's eltwise primitive, made once per shape.
 *
 * <p>Why: {@link ActivationReLU#backprop} runs ND4J's {@code relu_bp}, whose M2.1 CPU kernel calls a
 * {@code std::function} per element, several times slower than one oneDNN pass (docs/performance-log.md). Same result:
 * the gradient passes where the pre-activation is above 0. Used only at run time by
 * {@link Helpers#accelerate}.
 */
final class FastReLU extends ActivationReLU {
    private static final ThreadLocal<OneDnnPlan.Cache<Plan>> PLANS =
            ThreadLocal.withInitial(() -> new OneDnnPlan.Cache<>(16));

    @Override
    public Pair<INDArray, INDArray> backprop(INDArray in, INDArray epsilon) {
        if (!HostFloats.usable(in) || !HostFloats.usable(epsilon) || !Arrays.equals(in.shape(), epsilon.shape())
                || in.rank() < 1 || in.rank() > 5) {
            return super.backprop(in, epsilon);
        }
        Plan plan = PLANS.get().get(OneDnnPlan.Cache.key(in, 0), () -> new Plan(in.shape()));
        INDArray dLdz = in.ulike();
        plan.backward(in, epsilon, dLdz);
        return new Pair<>(dLdz, null);
    }

    static final class Plan extends OneDnnPlan {
        private static final memory.format_tag[] PLAIN = {memory.format_tag.a, memory.format_tag.ab,
            memory.format_tag.abc, memory.format_tag.abcd, memory.format_tag.abcde};
        private final primitive bwd;
        private final Arg src, diffDst, diffSrc;

        Plan(long[] shape) {
            memory.desc d = own(desc(shape, PLAIN[shape.length - 1]));
            var fpd = own(new eltwise_forward.primitive_desc(
                    own(new eltwise_forward.desc(forward_training, eltwise_relu, d, 0f, 0f)), ENGINE));
            var bpd = own(new eltwise_backward.primitive_desc(
                    own(new eltwise_backward.desc(eltwise_relu, d, d, 0f, 0f)), ENGINE, fpd));
            bwd = own(new eltwise_backward(bpd));
            kernels.add(bpd.impl_info_str().getString());
            src = new Arg(d, d, true, 0);
            diffDst = new Arg(d, d, true, 1);
            diffSrc = new Arg(d, d, false, 2);
            args(bwd, Map.of(DNNL_ARG_SRC, src, DNNL_ARG_DIFF_DST, diffDst, DNNL_ARG_DIFF_SRC, diffSrc));
        }

        void backward(INDArray z, INDArray dy, INDArray dx) {
            Scratch s = scratch();
            src.bind(z, s);
            diffDst.bind(dy, s);
            diffSrc.bind(dx, s);
            execute(bwd);
            stream._wait();
        }
    }
}
