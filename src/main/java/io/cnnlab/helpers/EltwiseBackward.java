package io.cnnlab.helpers;

import org.bytedeco.dnnl.eltwise_backward;
import org.bytedeco.dnnl.eltwise_forward;
import org.bytedeco.dnnl.global.dnnl.algorithm;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.primitive;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Map;

import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SRC;
import static org.bytedeco.dnnl.global.dnnl.prop_kind.forward_training;

/**
 * An activation's backward pass through oneDNN's eltwise primitive, made once for one shape of dense
 * C-order arrays: the gradient at the activation's input from the gradient at its output and either its
 * input (e.g. {@code eltwise_relu}) or, for the {@code *_use_dst_for_bwd} algorithms, its output.
 */
final class EltwiseBackward extends OneDnnPlan {
    private static final memory.format_tag[] PLAIN = {memory.format_tag.a, memory.format_tag.ab,
        memory.format_tag.abc, memory.format_tag.abcd, memory.format_tag.abcde};
    private final primitive bwd;
    private final Arg data, diffDst, diffSrc;

    /** For arrays of {@code shape} (rank 1 to 5); {@code fromOutput}: {@code alg} reads the activation's output. */
    EltwiseBackward(long[] shape, algorithm alg, boolean fromOutput) {
        memory.desc d = own(desc(shape, PLAIN[shape.length - 1]));
        var fpd = own(new eltwise_forward.primitive_desc(
                own(new eltwise_forward.desc(forward_training, alg, d, 0f, 0f)), ENGINE));
        var bpd = own(new eltwise_backward.primitive_desc(
                own(new eltwise_backward.desc(alg, d, d, 0f, 0f)), ENGINE, fpd));
        bwd = own(new eltwise_backward(bpd));
        kernels.add(bpd.impl_info_str().getString());
        data = new Arg(d, d, true, 0);
        diffDst = new Arg(d, d, true, 1);
        diffSrc = new Arg(d, d, false, 2);
        args(bwd, Map.of(fromOutput ? DNNL_ARG_DST : DNNL_ARG_SRC, data, DNNL_ARG_DIFF_DST, diffDst,
                DNNL_ARG_DIFF_SRC, diffSrc));
    }

    /** {@code dx} from {@code x} (the activation's input or output, as made) and {@code dy}. */
    void run(INDArray x, INDArray dy, INDArray dx) {
        Scratch s = scratch();
        data.bind(x, s);
        diffDst.bind(dy, s);
        diffSrc.bind(dx, s);
        execute(bwd);
        stream._wait();
    }
}
