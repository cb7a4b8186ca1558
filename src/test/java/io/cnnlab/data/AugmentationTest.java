package io.cnnlab.data;

import io.cnnlab.backend.Backend;
import io.cnnlab.testing.RealData;
import org.deeplearning4j.datasets.datavec.RecordReaderDataSetIterator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.DataSet;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

import static io.cnnlab.testing.Exact.assertBitwiseEquals;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Crop-and-flip augmentation, cutout and label smoothing, on real CIFAR-2 images, in both pipelines. */
class AugmentationTest {
    @BeforeAll
    static void backend() {
        Backend.configure();
    }

    /** Every augmented image is its source shifted by (dy, dx) in [-4, 4], maybe mirrored, black outside. */
    @Test
    void eachImageIsACropOfItsPaddedSourceMaybeMirrored() {
        LabeledImages images = RealData.cifar2().test();
        byte[] out = new byte[LabeledImages.IMAGE_BYTES];
        Set<String> seen = new HashSet<>();
        int flips = 0;
        for (int i = 0; i < 1000; i++) {
            Augmentation.CROP_FLIP.apply(images.pixels(), i * LabeledImages.IMAGE_BYTES, out, 42, 3, i);
            String t = transformOf(images, i, out);
            assertTrue(t != null, "image " + i + " is no crop/flip of its source");
            seen.add(t.substring(0, t.lastIndexOf(',')));
            flips += t.endsWith("true") ? 1 : 0;
            byte[] again = new byte[out.length];
            Augmentation.CROP_FLIP.apply(images.pixels(), i * LabeledImages.IMAGE_BYTES, again, 42, 3, i);
            assertArrayEquals(out, again, "a function of (seed, epoch, position)");
        }
        assertEquals(81, seen.size(), "every shift of [-4, 4]^2 occurs in 1000 draws");
        assertTrue(flips > 400 && flips < 600, flips + " of 1000 mirrored");
    }

    /**
     * Cutout leaves the crop/flip image but for one square, clipped at the edges, of the CIFAR mean colour;
     * the crop/flip draws are those of crop/flip alone.
     */
    @Test
    void cutoutMasksOneClippedSquareOfTheCropFlipImage() {
        LabeledImages images = RealData.cifar2().test();
        Augmentation cutout = new Augmentation(true, 12);
        byte[] plain = new byte[LabeledImages.IMAGE_BYTES];
        byte[] cut = new byte[LabeledImages.IMAGE_BYTES];
        int clipped = 0;
        Set<Integer> areas = new HashSet<>();
        for (int i = 0; i < 500; i++) {
            Augmentation.CROP_FLIP.apply(images.pixels(), i * LabeledImages.IMAGE_BYTES, plain, 42, 3, i);
            cutout.apply(images.pixels(), i * LabeledImages.IMAGE_BYTES, cut, 42, 3, i);
            int y0 = 32, y1 = -1, x0 = 32, x1 = -1;
            for (int y = 0; y < 32; y++) {
                for (int x = 0; x < 32; x++) {
                    boolean masked = (cut[y * 32 + x] & 0xFF) == 125 && (cut[1024 + y * 32 + x] & 0xFF) == 123
                            && (cut[2048 + y * 32 + x] & 0xFF) == 114;
                    boolean same = true;
                    for (int c = 0; c < 3; c++) {
                        same &= cut[c * 1024 + y * 32 + x] == plain[c * 1024 + y * 32 + x];
                    }
                    if (!same) {
                        assertTrue(masked, "image " + i + " pixel (" + y + ", " + x + ") changed but not to the mean");
                        y0 = Math.min(y0, y);
                        y1 = Math.max(y1, y);
                        x0 = Math.min(x0, x);
                        x1 = Math.max(x1, x);
                    }
                }
            }
            assertTrue(y1 >= y0, "image " + i + " has a masked square");
            int h = y1 - y0 + 1;
            int w = x1 - x0 + 1;
            assertTrue(h <= 12 && w <= 12, "image " + i + ": " + h + "x" + w + " is no more than 12x12");
            boolean whole = h == 12 && w == 12;
            clipped += whole ? 0 : 1;
            if (!whole) {
                assertTrue(y0 == 0 || y1 == 31 || x0 == 0 || x1 == 31, "image " + i + ": a smaller square lies at an edge");
            }
            areas.add(h * w);
        }
        assertTrue(clipped > 100 && clipped < 400, clipped + " of 500 squares clipped at an edge");
        assertTrue(areas.size() > 10, "squares of many clipped sizes");
    }

    private static String transformOf(LabeledImages images, int i, byte[] out) {
        for (int dy = -4; dy <= 4; dy++) {
            for (int dx = -4; dx <= 4; dx++) {
                for (boolean flip : new boolean[] {false, true}) {
                    boolean match = true;
                    for (int c = 0; c < 3 && match; c++) {
                        for (int y = 0; y < 32 && match; y++) {
                            for (int x = 0; x < 32 && match; x++) {
                                int sy = y + dy;
                                int sx = (flip ? 31 - x : x) + dx;
                                int expected = sy < 0 || sy > 31 || sx < 0 || sx > 31 ? 0 : images.pixel(i, c, sy, sx);
                                match = (out[c * 1024 + y * 32 + x] & 0xFF) == expected;
                            }
                        }
                    }
                    if (match) {
                        return dy + "," + dx + "," + flip;
                    }
                }
            }
        }
        return null;
    }

    @Test
    void bothPipelinesGiveTheSameAugmentedSmoothedBatches() {
        LabeledImages train = RealData.cifar2().train().everyNth(5);
        EpochBatches memory = Pipeline.MEMORY.batches(train, Normalization.CIFAR, 64, 7, Augmentation.CROP_FLIP, 0.1);
        EpochBatches datavec = Pipeline.DATAVEC.batches(train, Normalization.CIFAR, 64, 7, Augmentation.CROP_FLIP, 0.1);
        EpochBatches plain = Pipeline.MEMORY.batches(train, Normalization.CIFAR, 64, 7, Augmentation.NONE, 0);
        for (int epoch : new int[] {0, 1, 5}) {
            memory.setEpoch(epoch);
            datavec.setEpoch(epoch);
            plain.setEpoch(epoch);
            int b = 0;
            while (memory.hasNext()) {
                DataSet m = memory.next();
                DataSet d = datavec.next();
                DataSet p = plain.next();
                assertBitwiseEquals(m.getFeatures(), d.getFeatures(), "epoch " + epoch + " batch " + b);
                assertBitwiseEquals(m.getLabels(), d.getLabels(), "epoch " + epoch + " batch " + b + " labels");
                assertFalse(Arrays.equals(m.getFeatures().data().asFloat(), p.getFeatures().data().asFloat()),
                        "augmented differs from plain");
                float[] y = m.getLabels().data().asFloat();
                float[] one = p.getLabels().data().asFloat();
                for (int j = 0; j < y.length; j++) {
                    assertEquals(one[j] == 1 ? 0.95f : 0.05f, y[j], 1e-7, "smoothed label " + j);
                }
                b++;
            }
            assertFalse(datavec.hasNext());
        }
    }

    @Test
    void bothPipelinesGiveTheSameCutoutBatches() {
        LabeledImages train = RealData.cifar2().train().everyNth(10);
        Augmentation a = new Augmentation(true, 16);
        EpochBatches memory = Pipeline.MEMORY.batches(train, Normalization.CIFAR, 64, 7, a, 0);
        EpochBatches datavec = Pipeline.DATAVEC.batches(train, Normalization.CIFAR, 64, 7, a, 0);
        EpochBatches cropFlip = Pipeline.MEMORY.batches(train, Normalization.CIFAR, 64, 7, Augmentation.CROP_FLIP, 0);
        memory.setEpoch(2);
        datavec.setEpoch(2);
        cropFlip.setEpoch(2);
        int b = 0;
        while (memory.hasNext()) {
            DataSet m = memory.next();
            assertBitwiseEquals(m.getFeatures(), datavec.next().getFeatures(), "batch " + b);
            assertFalse(Arrays.equals(m.getFeatures().data().asFloat(), cropFlip.next().getFeatures().data().asFloat()),
                    "cutout changes batch " + b);
            b++;
        }
        assertFalse(datavec.hasNext());
    }

    @Test
    void theReaderAugmentsUnderDl4jsOwnIterator() {
        LabeledImages train = RealData.cifar2().test();
        CifarRecordReader reader = new CifarRecordReader(train, 3L).augment(true);
        RecordReaderDataSetIterator it = new RecordReaderDataSetIterator(reader, 32, 1, 2);
        it.setPreProcessor(Normalization.CIFAR.normalizer());
        InMemoryIterator own = new InMemoryIterator(train, Normalization.CIFAR, 32, 3, true).augment(true);
        assertBitwiseEquals(own.next().getFeatures(), it.next().getFeatures(), "the first batch");
    }
}
