package io.cnnlab.data;

import io.cnnlab.UserException;
import org.datavec.api.io.labels.ParentPathLabelGenerator;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.IntStream;

/**
 * Reads an image-folder tree {@code train/<class>/*} and {@code test/<class>/*} (optionally below one
 * root folder), labelled as DataVec's {@link ParentPathLabelGenerator} labels: by the name of the
 * image's parent folder, classes in sorted order. Images are decoded in parallel, straight from the
 * entries' bytes; training images must be 32x32.
 */
public final class ImageTreeReader {
    private static final ParentPathLabelGenerator LABELS = new ParentPathLabelGenerator();

    private ImageTreeReader() {
    }

    /** The split ("train" or "test") an entry belongs to, or null when it is not {@code .../split/class/file}. */
    static String splitOf(String path) {
        String[] parts = path.split("/");
        if (parts.length < 3) {
            return null;
        }
        String split = parts[parts.length - 3].toLowerCase();
        return split.equals("train") || split.equals("test") ? split : null;
    }

    public static CifarData read(List<ArchiveEntries.Entry> entries, String source) {
        List<ArchiveEntries.Entry> train = new ArrayList<>();
        List<ArchiveEntries.Entry> test = new ArrayList<>();
        TreeSet<String> classes = new TreeSet<>();
        for (ArchiveEntries.Entry e : entries) {
            String split = splitOf(e.path());
            if (split == null || !ImageDecoder.isImageFile(e.path())) {
                continue;
            }
            (split.equals("train") ? train : test).add(e);
            if (split.equals("train")) {
                classes.add(LABELS.getLabelForPath(e.path()).toString());
            }
        }
        if (train.isEmpty() && test.isEmpty()) {
            throw new UserException("no images found in " + source
                    + "; expected an image tree train/<class>/*.png|jpg and test/<class>/*.png|jpg");
        }
        if (train.isEmpty() || test.isEmpty()) {
            throw new UserException(source + " has no " + (train.isEmpty() ? "train/" : "test/")
                    + " images; an image tree needs both train/<class>/* and test/<class>/*");
        }
        List<String> classList = List.copyOf(classes);
        return new CifarData(decode(train, classList, source), decode(test, classList, source));
    }

    private static LabeledImages decode(List<ArchiveEntries.Entry> files, List<String> classes, String source) {
        int n = files.size();
        byte[] pixels = new byte[n * LabeledImages.IMAGE_BYTES];
        byte[] labels = new byte[n];
        IntStream.range(0, n).parallel().forEach(i -> {
            ArchiveEntries.Entry e = files.get(i);
            String cls = LABELS.getLabelForPath(e.path()).toString();
            int label = classes.indexOf(cls);
            if (label < 0) {
                throw new UserException(source + ": " + e.path() + " is in class folder '" + cls
                        + "', which train/ does not have; every test class needs training images");
            }
            BufferedImage img = ImageDecoder.decode(e.data(), source + "!" + e.path());
            if (img.getWidth() != LabeledImages.SIDE || img.getHeight() != LabeledImages.SIDE) {
                throw new UserException("image " + source + "!" + e.path() + " is " + img.getWidth() + "x"
                        + img.getHeight() + ", but CIFAR images are 32x32; resize the data set first");
            }
            labels[i] = (byte) label;
            ImageDecoder.toChw(img, pixels, i * LabeledImages.IMAGE_BYTES);
        });
        return new LabeledImages(pixels, labels, classes);
    }
}
