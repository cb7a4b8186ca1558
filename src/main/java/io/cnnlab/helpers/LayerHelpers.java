package io.cnnlab.helpers;

import java.lang.reflect.Field;

/**
 * Reads and replaces the helper of a live DL4J layer (the object its oneDNN or cuDNN calls go
 * through). DL4J M2.1 has no public hook for this: the field is package-private in each layer class
 * ({@code ConvolutionLayer}, {@code BatchNormalization}), so it is reached by reflection, once per class.
 */
final class LayerHelpers {
    private final Field field;

    /** The {@code helper} field declared by {@code layerClass}; fails at once if this DL4J version has none. */
    LayerHelpers(Class<?> layerClass) {
        try {
            field = layerClass.getDeclaredField("helper");
            field.setAccessible(true);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("DL4J's " + layerClass.getName() + " has no 'helper' field (another DL4J"
                    + " version than 1.0.0-M2.1?): " + e, e);
        }
    }

    Object get(Object layer) {
        try {
            return field.get(layer);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    void set(Object layer, Object helper) {
        try {
            field.set(layer, helper);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }
}
