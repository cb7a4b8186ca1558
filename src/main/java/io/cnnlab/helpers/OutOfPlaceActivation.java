package io.cnnlab.helpers;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * An activation that writes its value and its gradient into arrays the caller gives it and leaves its
 * inputs as they are, so that {@link LeanActivationLayer} needs no copies around it. DL4J's
 * {@code IActivation} works in place, which is why DL4J's activation layer copies its input twice a step.
 */
interface OutOfPlaceActivation {
    /** {@code out = f(in)}, elementwise; {@code out} has {@code in}'s shape and data type. */
    void forward(INDArray in, INDArray out);

    /**
     * {@code dx = f'(in) * dy}, elementwise, {@code in} being the activation's input; false (and {@code dx}
     * unwritten) when this implementation cannot take these arrays, and the caller then takes DL4J's path.
     */
    boolean backward(INDArray in, INDArray dy, INDArray dx);
}
