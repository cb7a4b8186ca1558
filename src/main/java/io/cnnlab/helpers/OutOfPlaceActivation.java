package io.cnnlab.helpers;

import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.function.Supplier;

/**
 * An activation that writes its value and its gradient into arrays the caller gives it and leaves its
 * inputs as they are, so that {@link LeanActivationLayer} needs no copies around it. DL4J's
 * {@code IActivation} works in place, which is why DL4J's activation layer copies its input twice a step.
 */
interface OutOfPlaceActivation {
    /** {@code out = f(in)}, elementwise; {@code out} has {@code in}'s shape and data type. */
    void forward(INDArray in, INDArray out);

    /**
     * {@code dx = f'(in) * dy}, elementwise, {@code in} being the activation's input, into the array
     * {@code dx} supplies (asked for only once these arrays are taken); {@code null} when this implementation
     * cannot take them, and the caller then takes DL4J's path.
     */
    INDArray backward(INDArray in, INDArray dy, Supplier<INDArray> dx);
}
