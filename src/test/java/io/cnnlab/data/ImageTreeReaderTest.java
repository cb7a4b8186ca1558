package io.cnnlab.data;

import io.cnnlab.UserException;
import io.cnnlab.testing.TestImages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ImageTreeReaderTest {
    private static final String[] CLASSES = {"bird", "airplane", "cat"};

    /** Pixels say which class folder and file an image came from: R = 10 * folder index, G = 100 + file index. */
    private static void assertDecoded(CifarData d) {
        assertEquals(List.of("airplane", "bird", "cat"), d.classNames(), "sorted folder names, as DataVec labels");
        assertEquals(3 * 4, d.train().size());
        assertEquals(3 * 2, d.test().size());
        LabeledImages t = d.train();
        for (int i = 0; i < t.size(); i++) {
            String cls = t.classNames().get(t.label(i));
            int folderIndex = List.of(CLASSES).indexOf(cls);
            assertEquals(10 * folderIndex, t.pixel(i, 0, 0, 0), "R of image " + i);
            assertEquals(100 + i % 4, t.pixel(i, 1, 31, 31), "G of image " + i);
            assertEquals(200, t.pixel(i, 2, 16, 16), "B of image " + i);
        }
    }

    @Test
    void readsAFolderTree(@TempDir Path tmp) throws Exception {
        assertDecoded(DataSources.decode(TestImages.tree(tmp.resolve("tree"), CLASSES, 4, 2)));
    }

    @Test
    void readsATarGzWithARootFolder(@TempDir Path tmp) throws Exception {
        Path tree = TestImages.tree(tmp.resolve("tree"), CLASSES, 4, 2);
        assertDecoded(DataSources.decode(TestImages.tarGz(tree, tmp.resolve("t.tar.gz"), "cifar/")));
    }

    @Test
    void readsAZip(@TempDir Path tmp) throws Exception {
        Path tree = TestImages.tree(tmp.resolve("tree"), CLASSES, 4, 2);
        assertDecoded(DataSources.decode(TestImages.zip(tree, tmp.resolve("t.zip"))));
    }

    @Test
    void cifar2ViewMapsAirplaneToZeroAndBirdToOne(@TempDir Path tmp) throws Exception {
        CifarData all = DataSources.decode(TestImages.tree(tmp.resolve("tree"), CLASSES, 4, 2));
        CifarData two = all.select(CifarData.CIFAR2_CLASSES);
        assertEquals(List.of("airplane", "bird"), two.classNames());
        assertEquals(8, two.train().size());
        for (int i = 0; i < two.train().size(); i++) {
            // airplane was folder 1 (R = 10), bird folder 0 (R = 0)
            int expectedR = two.train().label(i) == 0 ? 10 : 0;
            assertEquals(expectedR, two.train().pixel(i, 0, 3, 3));
        }
    }

    @Test
    void missingClassIsNamed(@TempDir Path tmp) throws Exception {
        CifarData all = DataSources.decode(TestImages.tree(tmp.resolve("tree"), new String[] {"airplane", "cat"}, 2, 1));
        UserException e = assertThrows(UserException.class, () -> all.select(CifarData.CIFAR2_CLASSES));
        assertTrue(e.getMessage().contains("'bird'"), e.getMessage());
    }

    @Test
    void imageThatIsNot32x32IsNamed(@TempDir Path tmp) throws Exception {
        Path tree = TestImages.tree(tmp.resolve("tree"), CLASSES, 2, 1);
        var big = new java.awt.image.BufferedImage(40, 32, java.awt.image.BufferedImage.TYPE_INT_RGB);
        Files.write(tree.resolve("train/cat/big.png"), TestImages.png(big));
        UserException e = assertThrows(UserException.class, () -> DataSources.decode(tree));
        assertTrue(e.getMessage().contains("train/cat/big.png") && e.getMessage().contains("40x32"), e.getMessage());
    }

    @Test
    void corruptImageIsNamed(@TempDir Path tmp) throws Exception {
        Path tree = TestImages.tree(tmp.resolve("tree"), CLASSES, 2, 1);
        Files.write(tree.resolve("test/bird/broken.jpg"), new byte[] {(byte) 0xFF, (byte) 0xD8, 1, 2, 3});
        UserException e = assertThrows(UserException.class, () -> DataSources.decode(tree));
        assertTrue(e.getMessage().contains("test/bird/broken.jpg"), e.getMessage());
    }

    @Test
    void archiveWithoutImagesIsAClearError(@TempDir Path tmp) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("empty/docs"));
        Files.writeString(dir.resolve("README.txt"), "no images here");
        UserException e = assertThrows(UserException.class,
                () -> DataSources.decode(TestImages.tarGz(tmp.resolve("empty"), tmp.resolve("e.tar.gz"), "")));
        assertTrue(e.getMessage().startsWith("no images found"), e.getMessage());
    }
}
