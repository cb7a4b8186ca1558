package io.cnnlab.testing;

import io.cnnlab.data.BinaryCifarReader;
import io.cnnlab.data.LabeledImages;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** Small, exactly known inputs that tests write themselves. */
public final class TestImages {
    private TestImages() {
    }

    /** A 32x32 image whose every pixel is (r, g, b). */
    public static BufferedImage solid(int r, int g, int b) {
        BufferedImage img = new BufferedImage(32, 32, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 32; y++) {
            for (int x = 0; x < 32; x++) {
                img.setRGB(x, y, (r << 16) | (g << 8) | b);
            }
        }
        return img;
    }

    public static byte[] png(BufferedImage img) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, "png", out);
        return out.toByteArray();
    }

    /**
     * Writes {@code root/train/<class>/i.png} and {@code root/test/<class>/i.png} for each class, image i of
     * class c being solid (10*c, 100 + i, 200): so label and index can be read back from the pixels.
     */
    public static Path tree(Path root, String[] classes, int perClassTrain, int perClassTest) throws IOException {
        for (String split : new String[] {"train", "test"}) {
            int n = split.equals("train") ? perClassTrain : perClassTest;
            for (int c = 0; c < classes.length; c++) {
                Path dir = Files.createDirectories(root.resolve(split).resolve(classes[c]));
                for (int i = 0; i < n; i++) {
                    Files.write(dir.resolve(String.format("%04d.png", i)), png(solid(10 * c, 100 + i, 200)));
                }
            }
        }
        return root;
    }

    /** The folder {@code dir} as a .tar.gz whose entries start with {@code prefix}. */
    public static Path tarGz(Path dir, Path archive, String prefix) throws IOException {
        try (OutputStream os = Files.newOutputStream(archive);
             TarArchiveOutputStream tar = new TarArchiveOutputStream(new GzipCompressorOutputStream(os))) {
            for (Path f : (Iterable<Path>) Files.walk(dir).filter(Files::isRegularFile).sorted()::iterator) {
                TarArchiveEntry e = new TarArchiveEntry(f.toFile(), prefix + dir.relativize(f).toString().replace('\\', '/'));
                tar.putArchiveEntry(e);
                Files.copy(f, tar);
                tar.closeArchiveEntry();
            }
        }
        return archive;
    }

    public static Path zip(Path dir, Path archive) throws IOException {
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(archive))) {
            for (Path f : (Iterable<Path>) Files.walk(dir).filter(Files::isRegularFile).sorted()::iterator) {
                zip.putNextEntry(new ZipEntry(dir.relativize(f).toString().replace('\\', '/')));
                Files.copy(f, zip);
                zip.closeEntry();
            }
        }
        return archive;
    }

    /**
     * One CIFAR binary record per label: label byte, then R plane = label, G plane = 100 + record
     * index, B plane = 255 - label.
     */
    public static byte[] binaryBatch(int... labels) {
        byte[] out = new byte[labels.length * BinaryCifarReader.RECORD];
        for (int r = 0; r < labels.length; r++) {
            int off = r * BinaryCifarReader.RECORD;
            out[off] = (byte) labels[r];
            for (int p = 0; p < LabeledImages.PLANE; p++) {
                out[off + 1 + p] = (byte) labels[r];
                out[off + 1 + LabeledImages.PLANE + p] = (byte) (100 + r);
                out[off + 1 + 2 * LabeledImages.PLANE + p] = (byte) (255 - labels[r]);
            }
        }
        return out;
    }

    /** A minimal binary release folder: cifar-10-batches-bin with 5 train batches and a test batch. */
    public static Path binaryRelease(Path root) throws IOException {
        Path dir = Files.createDirectories(root.resolve("cifar-10-batches-bin"));
        for (int b = 1; b <= 5; b++) {
            Files.write(dir.resolve("data_batch_" + b + ".bin"), binaryBatch(b - 1, 9, 2));
        }
        Files.write(dir.resolve("test_batch.bin"), binaryBatch(0, 2, 7, 3));
        Files.writeString(dir.resolve("batches.meta.txt"),
                "airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n");
        return dir;
    }

    /** Copies the zip {@code from} to {@code to}, with {@code target} replaced by {@code replacement} in entry {@code entry}. */
    public static Path replaceInZipEntry(Path from, Path to, String entry, String target, String replacement) throws IOException {
        try (java.util.zip.ZipFile in = new java.util.zip.ZipFile(from.toFile());
             java.util.zip.ZipOutputStream out = new java.util.zip.ZipOutputStream(java.nio.file.Files.newOutputStream(to))) {
            for (var e = in.entries(); e.hasMoreElements(); ) {
                java.util.zip.ZipEntry z = e.nextElement();
                byte[] bytes = in.getInputStream(z).readAllBytes();
                if (z.getName().equals(entry)) {
                    String text = new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
                    if (!text.contains(target)) {
                        throw new IllegalArgumentException(entry + " does not contain " + target);
                    }
                    bytes = text.replace(target, replacement).getBytes(java.nio.charset.StandardCharsets.UTF_8);
                }
                out.putNextEntry(new java.util.zip.ZipEntry(z.getName()));
                out.write(bytes);
                out.closeEntry();
            }
        }
        return to;
    }
}
