package io.cnnlab.model;

import org.deeplearning4j.nn.weights.IWeightInit;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * PyTorch's default initialisation of {@code nn.Conv2d} and {@code nn.Linear} weights:
 * {@code kaiming_uniform_(a=sqrt(5))}, which is uniform in ±1/sqrt(fan_in). None of DL4J's built-in
 * schemes has that bound (LECUN_UNIFORM is ±3/sqrt(fan_in), VAR_SCALING_UNIFORM_FAN_IN ±sqrt(3/fan_in)).
 * DL4J computes fan_in as PyTorch does: nIn * kH * kW for convolutions, nIn for dense layers.
 *
 * <p>Builders use it before layer sizes are known; {@link ArchitectureBuilder#withDl4jInit} turns it into DL4J's
 * own per-layer uniform distribution in built configurations, so saved models do not name it. It stays
 * so that model zips saved by earlier cnnlab versions, which do, still load in cnnlab.
 */
public final class TorchDefaultInit implements IWeightInit {

    @Override
    public INDArray init(double fanIn, double fanOut, long[] shape, char order, INDArray paramView) {
        double bound = 1.0 / Math.sqrt(fanIn);
        Nd4j.rand(paramView, Nd4j.getDistributions().createUniform(-bound, bound));
        return paramView.reshape(order, shape);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TorchDefaultInit;
    }

    @Override
    public int hashCode() {
        return TorchDefaultInit.class.hashCode();
    }

    @Override
    public String toString() {
        return "TorchDefaultInit()";
    }
}
