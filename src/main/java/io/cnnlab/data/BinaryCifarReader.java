package io.cnnlab.data;

import io.cnnlab.UserException;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads CIFAR-10's official binary release: files of 3,073-byte records (1 label byte, then 1,024 R,
 * 1,024 G and 1,024 B bytes, row-major), {@code data_batch_1..5.bin} for training and
 * {@code test_batch.bin} for testing, class names in {@code batches.meta.txt}. The record layout is
 * the store's layout, so reading is a copy.
 */
public final class BinaryCifarReader {
    public static final int RECORD = 1 + LabeledImages.IMAGE_BYTES;

    private BinaryCifarReader() {
    }

    /** True when {@code path} names a file of the binary release. */
    public static boolean isBinaryFile(String path) {
        String f = path.substring(path.lastIndexOf('/') + 1);
        return f.matches("data_batch_\\d+\\.bin") || f.equals("test_batch.bin") || f.equals("batches.meta.txt");
    }

    public static CifarData read(List<ArchiveEntries.Entry> entries, String source) {
        List<ArchiveEntries.Entry> train = new ArrayList<>();
        ArchiveEntries.Entry test = null;
        List<String> classes = CifarData.CIFAR10_CLASSES;
        for (ArchiveEntries.Entry e : entries) {
            String f = e.fileName();
            if (f.startsWith("data_batch_")) {
                train.add(e);
            } else if (f.equals("test_batch.bin")) {
                test = e;
            } else if (f.equals("batches.meta.txt")) {
                classes = new String(e.data(), StandardCharsets.US_ASCII).lines()
                        .map(String::trim).filter(s -> !s.isEmpty()).toList();
            }
        }
        if (train.isEmpty() || test == null) {
            throw new UserException(source + " is missing " + (train.isEmpty() ? "data_batch_*.bin" : "test_batch.bin")
                    + " of the CIFAR-10 binary release; use the complete cifar-10-binary.tar.gz");
        }
        return new CifarData(readRecords(train, classes), readRecords(List.of(test), classes));
    }

    /** Concatenates the records of {@code files}; a file that is not whole records is a clear error. */
    public static LabeledImages readRecords(List<ArchiveEntries.Entry> files, List<String> classes) {
        int n = 0;
        for (ArchiveEntries.Entry f : files) {
            if (f.data().length == 0 || f.data().length % RECORD != 0) {
                throw new UserException("CIFAR binary batch " + f.path() + " is truncated or corrupt: "
                        + f.data().length + " bytes is not a whole number of " + RECORD
                        + "-byte records; delete it and download the data again");
            }
            n += f.data().length / RECORD;
        }
        byte[] pixels = new byte[n * LabeledImages.IMAGE_BYTES];
        byte[] labels = new byte[n];
        int i = 0;
        for (ArchiveEntries.Entry f : files) {
            byte[] d = f.data();
            for (int off = 0; off < d.length; off += RECORD, i++) {
                int label = d[off] & 0xFF;
                if (label >= classes.size()) {
                    throw new UserException("CIFAR binary batch " + f.path() + " record " + (off / RECORD)
                            + " has label " + label + " but there are only " + classes.size()
                            + " classes; the file is corrupt");
                }
                labels[i] = (byte) label;
                System.arraycopy(d, off + 1, pixels, i * LabeledImages.IMAGE_BYTES, LabeledImages.IMAGE_BYTES);
            }
        }
        return new LabeledImages(pixels, labels, classes);
    }
}
