package org.nd4j.nativeblas;

import java.lang.reflect.Method;

/**
 * Compatibility bridge for DL4J 1.0.0-M2.1's oneDNN layer helpers.
 *
 * <p>{@code BaseMKLDNNHelper.mklDnnEnabled()} looks up {@code org.nd4j.nativeblas.Nd4jCpu$Environment}
 * and its method {@code isUseMKLDNN()} by reflection, but in M2.1 that class moved to
 * {@code org.nd4j.linalg.cpu.nativecpu.bindings.Nd4jCpu$Environment} and the method became
 * {@code isUseONEDNN()}. The lookup fails silently and every convolution, pooling and batch-norm
 * layer falls back to the im2col path, 7.5x slower. This class restores the old name and
 * delegates to the new one. It uses reflection so that it compiles under the CUDA profile, where
 * the CPU bindings are absent (and where DL4J never asks for it).
 */
public final class Nd4jCpu {
    private Nd4jCpu() {
    }

    public static final class Environment {
        private static final Environment INSTANCE = new Environment();
        private static final String TARGET = "org.nd4j.linalg.cpu.nativecpu.bindings.Nd4jCpu$Environment";

        private Environment() {
        }

        public static Environment getInstance() {
            return INSTANCE;
        }

        public boolean isUseMKLDNN() {
            try {
                Class<?> env = Class.forName(TARGET);
                Object instance = env.getMethod("getInstance").invoke(null);
                Method m = env.getMethod("isUseONEDNN");
                return (Boolean) m.invoke(instance);
            } catch (ReflectiveOperationException | LinkageError e) {
                return false;
            }
        }
    }
}
