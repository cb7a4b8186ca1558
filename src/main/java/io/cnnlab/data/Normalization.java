package io.cnnlab.data;

import org.nd4j.linalg.dataset.api.preprocessor.NormalizerStandardize;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The notebook's {@code ToTensor()} + {@code Normalize(mean, std)}: each channel value v becomes
 * (v / 255 - mean[c]) / std[c]. Held as a 3x256 lookup table, so a batch is built by table look-ups
 * from the uint8 store without per-batch arithmetic.
 */
public final class Normalization {
    public static final double[] CIFAR_MEAN = {0.4915, 0.4823, 0.4468};
    public static final double[] CIFAR_STD = {0.2470, 0.2435, 0.2616};
    public static final Normalization CIFAR = new Normalization(CIFAR_MEAN, CIFAR_STD);

    private final double[] mean;
    private final double[] std;
    private final float[][] table = new float[3][256];

    public Normalization(double[] mean, double[] std) {
        if (mean.length != 3 || std.length != 3) {
            throw new IllegalArgumentException("mean and std need one value per RGB channel");
        }
        this.mean = mean.clone();
        this.std = std.clone();
        for (int c = 0; c < 3; c++) {
            if (!(std[c] > 0)) {
                throw new IllegalArgumentException("std must be positive, got " + std[c]);
            }
            for (int v = 0; v < 256; v++) {
                // In float, step by step, as ND4J's NormalizerStandardize computes it on v / 255f:
                // the DataVec pipeline then gives the very same numbers.
                table[c][v] = (v / 255f - (float) mean[c]) / (float) std[c];
            }
        }
    }

    public double[] mean() {
        return mean.clone();
    }

    public double[] std() {
        return std.clone();
    }

    /**
     * The same normalisation as an ND4J preprocessor for features scaled to [0, 1] (as
     * {@link CifarRecordReader} gives them): per channel, subtract the mean, divide by the std.
     */
    public NormalizerStandardize normalizer() {
        return new NormalizerStandardize(Nd4j.create(toFloats(mean)), Nd4j.create(toFloats(std)));
    }

    private static float[] toFloats(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }

    public float apply(int channel, int value) {
        return table[channel][value & 0xFF];
    }

    /** Normalises one CHW uint8 image from {@code src[srcOffset..]} into {@code dst[dstOffset..]}. */
    public void apply(byte[] src, int srcOffset, float[] dst, int dstOffset) {
        for (int c = 0; c < 3; c++) {
            float[] t = table[c];
            int s = srcOffset + c * LabeledImages.PLANE;
            int d = dstOffset + c * LabeledImages.PLANE;
            for (int i = 0; i < LabeledImages.PLANE; i++) {
                dst[d + i] = t[src[s + i] & 0xFF];
            }
        }
    }
}
