package io.cnnlab.data;

import java.util.SplittableRandom;

/**
 * The standard CIFAR augmentation, as torchvision's {@code RandomCrop(32, padding=4)} and
 * {@code RandomHorizontalFlip()} make it: the image shifted by up to 4 pixels each way with the
 * uncovered border black (pixel value 0, before normalisation), then mirrored with probability 1/2.
 * The draw for an image is a function of (seed, epoch, position in the epoch) only, so both pipelines
 * give the same images and a resumed run the same as an uninterrupted one.
 */
public final class Augmentation {
    /** The largest shift, the padding of {@code RandomCrop}. */
    public static final int PAD = 4;

    private Augmentation() {
    }

    /** Writes the augmented copy of the CHW image at {@code src[srcOffset..]} into {@code dst[0..3071]}. */
    public static void apply(byte[] src, int srcOffset, byte[] dst, long seed, int epoch, int position) {
        long h = seed * 0x9E3779B97F4A7C15L + epoch * 0xC2B2AE3D27D4EB4FL + position * 0x165667B19E3779F9L;
        SplittableRandom rng = new SplittableRandom(h ^ (h >>> 29));
        int dy = rng.nextInt(2 * PAD + 1) - PAD;
        int dx = rng.nextInt(2 * PAD + 1) - PAD;
        boolean flip = rng.nextBoolean();
        int side = LabeledImages.SIDE;
        for (int c = 0; c < 3; c++) {
            int plane = c * LabeledImages.PLANE;
            for (int y = 0; y < side; y++) {
                int sy = y + dy;
                for (int x = 0; x < side; x++) {
                    int sx = (flip ? side - 1 - x : x) + dx;
                    dst[plane + y * side + x] = sy < 0 || sy >= side || sx < 0 || sx >= side ? 0
                            : src[srcOffset + plane + sy * side + sx];
                }
            }
        }
    }
}
