package io.cnnlab.data;

import io.cnnlab.UserException;

import java.util.ArrayList;
import java.util.List;

/** The train and test (the notebook's "val") parts of a CIFAR-style data set, sharing one class list. */
public record CifarData(LabeledImages train, LabeledImages test) {
    /** CIFAR-10's classes in label order 0-9 (also their sorted folder names). */
    public static final List<String> CIFAR10_CLASSES = List.of(
            "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck");
    /** The notebook's CIFAR-2: airplane -> 0, bird -> 1. */
    public static final List<String> CIFAR2_CLASSES = List.of("airplane", "bird");

    public CifarData {
        if (!train.classNames().equals(test.classNames())) {
            throw new IllegalArgumentException("train and test class lists differ");
        }
    }

    public List<String> classNames() {
        return train.classNames();
    }

    /**
     * What the data is, independent of where it was read from: a SHA-256 over the class names and both
     * splits' labels and pixels, shortened to 16 hex digits, with the split sizes, e.g.
     * {@code "sha256:3f1c...:10000+2000"}. Runs record it, so that a run is reused only on the same data.
     */
    public String fingerprint() {
        return FINGERPRINTS.computeIfAbsent(this, CifarData::digest);
    }

    /** Fingerprints of the data sets in use: each is computed once (a SHA-256 over CIFAR-10 takes ~0.2 s). */
    private static final java.util.Map<CifarData, String> FINGERPRINTS =
            java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());

    private static String digest(CifarData d) {
        LabeledImages train = d.train();
        LabeledImages test = d.test();
        try {
            java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
            sha.update(String.join("\n", d.classNames()).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            for (LabeledImages split : List.of(train, test)) {
                sha.update(java.nio.ByteBuffer.allocate(4).putInt(split.size()).array());
                sha.update(split.labels());
                sha.update(split.pixels());
            }
            return "sha256:" + java.util.HexFormat.of().formatHex(sha.digest()).substring(0, 16) + ":" + train.size()
                    + "+" + test.size();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    /**
     * The class list a dataset name stands for: {@code cifar10}, {@code cifar2}, or a comma-separated
     * list of class names (labelled in the order given).
     */
    public static List<String> classesOf(String dataset) {
        if (dataset == null || dataset.isBlank()) {
            throw new UserException("no dataset given; use cifar10, cifar2 or a comma-separated list of class names");
        }
        switch (dataset.trim().toLowerCase()) {
            case "cifar10":
                return CIFAR10_CLASSES;
            case "cifar2":
                return CIFAR2_CLASSES;
            default:
                List<String> names = new ArrayList<>();
                for (String s : dataset.split(",")) {
                    if (!s.isBlank() && !names.contains(s.trim())) {
                        names.add(s.trim());
                    }
                }
                if (names.size() < 2) {
                    throw new UserException("unknown dataset '" + dataset
                            + "'; use cifar10, cifar2 or a comma-separated list of at least two class names");
                }
                return names;
        }
    }

    /** The subset holding only {@code classes}, relabelled 0..k-1 in the order given. */
    public CifarData select(List<String> classes) {
        if (classes.equals(classNames())) {
            return this;
        }
        for (String c : classes) {
            if (!classNames().contains(c)) {
                throw new UserException("the data has no class '" + c + "' (it has " + String.join(", ", classNames())
                        + "); check the dataset name or the data's folders");
            }
        }
        return new CifarData(select(train, classes), select(test, classes));
    }

    private static LabeledImages select(LabeledImages in, List<String> classes) {
        return select(in.labels(), in.classNames(), classes, (i, dst, at) -> System.arraycopy(in.pixels(),
                i * LabeledImages.IMAGE_BYTES, dst, at, LabeledImages.IMAGE_BYTES));
    }

    /** Copies image {@code index}'s {@link LabeledImages#IMAGE_BYTES} pixels into {@code dst} at {@code offset}. */
    interface PixelSource {
        void copy(int index, byte[] dst, int offset);
    }

    /**
     * The images of {@code labels} (over {@code names}) whose class is in {@code classes}, relabelled
     * 0..k-1 in the order given, their pixels copied from {@code pixels}; the caller has checked that
     * every class exists.
     */
    static LabeledImages select(byte[] labels, List<String> names, List<String> classes, PixelSource pixels) {
        int[] map = new int[names.size()];
        java.util.Arrays.fill(map, -1);
        for (int k = 0; k < classes.size(); k++) {
            map[names.indexOf(classes.get(k))] = k;
        }
        int n = 0;
        for (byte l : labels) {
            if (map[l & 0xFF] >= 0) {
                n++;
            }
        }
        byte[] out = new byte[n * LabeledImages.IMAGE_BYTES];
        byte[] outLabels = new byte[n];
        int j = 0;
        for (int i = 0; i < labels.length; i++) {
            int m = map[labels[i] & 0xFF];
            if (m >= 0) {
                pixels.copy(i, out, j * LabeledImages.IMAGE_BYTES);
                outLabels[j++] = (byte) m;
            }
        }
        return new LabeledImages(out, outLabels, classes);
    }
}
