package io.cnnlab.model;

/**
 * The notebook's baseline {@code Net}: conv 3→16, conv 16→8 (3x3, same padding, tanh, max-pool 2
 * each), fc 512→32 tanh, fc 32→classes. 18,090 trainable parameters on CIFAR-2 (18,354 on CIFAR-10).
 * It is {@link NetWidth}'s design at width 16, kept as its own class because it is the notebook's
 * reference point; its setters therefore return {@link NetWidth}.
 */
public class Net extends NetWidth {
    public Net() {
        nCh1(16);
    }
}
