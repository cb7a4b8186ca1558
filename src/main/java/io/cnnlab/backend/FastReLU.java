package io.cnnlab.backend;

import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Arrays;

/**
 * DL4J's plain ReLU with its backward pass as a Java loop over host copies ({@link HostFloats}).
 *
 * <p>Why: {@link ActivationReLU#backprop} runs ND4J's {@code relu_bp}, whose M2.1 CPU kernel calls a
 * {@code std::function} per element: 10% of a {@code resdeep} worker's time (profiled). Same result:
 * the gradient passes where the pre-activation is above 0 (NaN aside). Used only at run time by
 * {@link Backend#accelerate}.
 */
final class FastReLU extends ActivationReLU {

    @Override
    public Pair<INDArray, INDArray> backprop(INDArray in, INDArray epsilon) {
        if (!HostFloats.usable(in) || !HostFloats.usable(epsilon) || !Arrays.equals(in.shape(), epsilon.shape())) {
            return super.backprop(in, epsilon);
        }
        int n = (int) in.length();
        int[] z = HostFloats.bitsScratch(0, n);
        int[] e = HostFloats.bitsScratch(1, n);
        HostFloats.readBits(in, z);
        HostFloats.readBits(epsilon, e);
        for (int i = 0; i < n; i++) {
            // On the raw bits a float is above 0 exactly when its int is (-0.0 and negatives are negative
            // ints): then only has (~z & -z) its sign bit set, and >> 31 spreads that into a mask.
            // Branch-free integer ops, which the JIT vectorises; a compare-and-branch per element,
            // mispredicted half the time, was slower than ND4J.
            e[i] &= (~z[i] & -z[i]) >> 31;
        }
        INDArray dLdz = in.ulike();
        HostFloats.writeBits(e, dLdz);
        return new Pair<>(dLdz, null);
    }
}
