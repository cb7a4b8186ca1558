package io.cnnlab.data;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The training-image augmentation of a recipe. {@code cropFlip} is the standard CIFAR augmentation, as
 * torchvision's {@code RandomCrop(32, padding=4)} and {@code RandomHorizontalFlip()} make it: the image
 * shifted by up to 4 pixels each way with the uncovered border black (pixel value 0, before
 * normalisation), then mirrored with probability 1/2. {@code cutout} &gt; 0 then masks one square of that
 * side, centred anywhere in the image and clipped at its edges, as DeVries and Taylor's Cutout (2017)
 * does; the square takes the CIFAR mean colour, which normalises to about 0, as their mask on normalised
 * images does. The draws for an image are a function of (seed, epoch, position in the epoch) only, so
 * both pipelines give the same images and a resumed run the same as an uninterrupted one; cutout's draws
 * come after crop/flip's, so crop/flip alone gives what it gave before cutout existed.
 *
 * @param cropFlip random crop with padding {@link #PAD} and horizontal flip
 * @param cutout   side of the masked square in pixels, 0 for none
 */
public record Augmentation(boolean cropFlip, int cutout) {
    /** The largest shift, the padding of {@code RandomCrop}. */
    public static final int PAD = 4;
    /** No augmentation: the images as stored. */
    public static final Augmentation NONE = new Augmentation(false, 0);
    /** Crop and flip only. */
    public static final Augmentation CROP_FLIP = new Augmentation(true, 0);
    /** The fill of the cutout square: {@link Normalization#CIFAR_MEAN} as 8-bit values. */
    private static final byte[] MEAN_BYTES = meanBytes();

    public Augmentation {
        if (cutout < 0 || cutout > LabeledImages.SIDE) {
            throw new IllegalArgumentException("cutout must be 0 (off) to " + LabeledImages.SIDE + " pixels, got " + cutout);
        }
    }

    /** Whether this changes any image. */
    public boolean isOn() {
        return cropFlip || cutout > 0;
    }

    /** Crop/flip when {@code on}, nothing otherwise. */
    public static Augmentation cropFlip(boolean on) {
        return on ? CROP_FLIP : NONE;
    }

    /** Writes the augmented copy of the CHW image at {@code src[srcOffset..]} into {@code dst[0..3071]}. */
    public void apply(byte[] src, int srcOffset, byte[] dst, long seed, int epoch, int position) {
        long h = seed * 0x9E3779B97F4A7C15L + epoch * 0xC2B2AE3D27D4EB4FL + position * 0x165667B19E3779F9L;
        SplittableRandom rng = new SplittableRandom(h ^ (h >>> 29));
        int dy = 0;
        int dx = 0;
        boolean flip = false;
        if (cropFlip) {
            dy = rng.nextInt(2 * PAD + 1) - PAD;
            dx = rng.nextInt(2 * PAD + 1) - PAD;
            flip = rng.nextBoolean();
        }
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
        if (cutout > 0) {
            int cy = rng.nextInt(side);
            int cx = rng.nextInt(side);
            int y0 = Math.max(0, cy - cutout / 2);
            int y1 = Math.min(side, cy - cutout / 2 + cutout);
            int x0 = Math.max(0, cx - cutout / 2);
            int x1 = Math.min(side, cx - cutout / 2 + cutout);
            for (int c = 0; c < 3; c++) {
                int plane = c * LabeledImages.PLANE;
                for (int y = y0; y < y1; y++) {
                    Arrays.fill(dst, plane + y * side + x0, plane + y * side + x1, MEAN_BYTES[c]);
                }
            }
        }
    }

    /** What this does, in a few words, for logs and reports. */
    public String describe() {
        String s = cropFlip ? "crop + flip augmentation" : "";
        if (cutout > 0) {
            s += (s.isEmpty() ? "" : ", ") + "cutout " + cutout + "x" + cutout;
        }
        return s.isEmpty() ? "no augmentation" : s;
    }

    private static byte[] meanBytes() {
        byte[] b = new byte[3];
        for (int c = 0; c < 3; c++) {
            b[c] = (byte) Math.round(Normalization.CIFAR_MEAN[c] * 255);
        }
        return b;
    }
}
