package io.cnnlab.data;

import java.util.List;

/**
 * A compact in-memory image set: {@code size} images of 32x32 RGB as uint8, each stored as the
 * CIFAR binary format stores it (1,024 R bytes, then G, then B, row-major), with one label byte each.
 */
public record LabeledImages(byte[] pixels, byte[] labels, List<String> classNames) {
    public static final int SIDE = 32;
    public static final int PLANE = SIDE * SIDE;
    public static final int IMAGE_BYTES = 3 * PLANE;

    public LabeledImages {
        if (pixels.length != (long) labels.length * IMAGE_BYTES) {
            throw new IllegalArgumentException("pixels hold " + pixels.length + " bytes for " + labels.length + " labels");
        }
        classNames = List.copyOf(classNames);
    }

    public int size() {
        return labels.length;
    }

    public int numClasses() {
        return classNames.size();
    }

    public int label(int i) {
        return labels[i] & 0xFF;
    }

    /** Pixel value 0-255 of image {@code i}, channel {@code c} (0 = R), row {@code y}, column {@code x}. */
    public int pixel(int i, int c, int y, int x) {
        return pixels[i * IMAGE_BYTES + c * PLANE + y * SIDE + x] & 0xFF;
    }

    /** Images 0, n, 2n, ...: a fixed sample, stratified as the store's order is. */
    public LabeledImages everyNth(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("n must be positive, got " + n);
        }
        int m = (size() + n - 1) / n;
        byte[] px = new byte[m * IMAGE_BYTES];
        byte[] lb = new byte[m];
        for (int j = 0; j < m; j++) {
            System.arraycopy(pixels, j * n * IMAGE_BYTES, px, j * IMAGE_BYTES, IMAGE_BYTES);
            lb[j] = labels[j * n];
        }
        return new LabeledImages(px, lb, classNames);
    }

    /** Number of images per class, indexed by label. */
    public int[] classCounts() {
        int[] counts = new int[numClasses()];
        for (byte l : labels) {
            counts[l & 0xFF]++;
        }
        return counts;
    }
}
