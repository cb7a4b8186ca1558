package io.cnnlab.data;

import io.cnnlab.testing.RealData;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.DataSet;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

class InMemoryIteratorTest {

    /** 150 images whose R plane holds the image index (mod 256) and whose label is index % 3. */
    private static LabeledImages indexed(int n) {
        byte[] pixels = new byte[n * LabeledImages.IMAGE_BYTES];
        byte[] labels = new byte[n];
        for (int i = 0; i < n; i++) {
            Arrays.fill(pixels, i * LabeledImages.IMAGE_BYTES, i * LabeledImages.IMAGE_BYTES + LabeledImages.PLANE, (byte) i);
            labels[i] = (byte) (i % 3);
        }
        return new LabeledImages(pixels, labels, List.of("a", "b", "c"));
    }

    /** Reads the visiting order back from the batches' pixels (R value), checking labels on the way. */
    private static List<Integer> visit(InMemoryIterator it) {
        float[] lut = new float[256];
        for (int v = 0; v < 256; v++) {
            lut[v] = Normalization.CIFAR.apply(0, v);
        }
        List<Integer> seen = new ArrayList<>();
        while (it.hasNext()) {
            DataSet ds = it.next();
            for (int b = 0; b < ds.numExamples(); b++) {
                float r = ds.getFeatures().getFloat(b, 0, 7, 9);
                int idx = -1;
                for (int v = 0; v < 256; v++) {
                    if (lut[v] == r) {
                        idx = v;
                    }
                }
                assertEquals(1f, ds.getLabels().getFloat(b, idx % 3), "one-hot label of image " + idx);
                seen.add(idx);
            }
        }
        return seen;
    }

    @Test
    void visitsEveryExampleExactlyOncePerEpochWithAPartialLastBatch() {
        InMemoryIterator it = new InMemoryIterator(indexed(150), Normalization.CIFAR, 64, 42, true);
        assertEquals(3, it.batchesPerEpoch());
        for (int epoch = 0; epoch < 3; epoch++) {
            it.setEpoch(epoch);
            List<Integer> seen = visit(it);
            assertEquals(150, seen.size());
            assertEquals(150, seen.stream().distinct().count());
        }
        it.setEpoch(0);
        assertEquals(64, it.next().numExamples());
        assertEquals(64, it.next().numExamples());
        assertEquals(22, it.next().numExamples());
        assertFalse(it.hasNext());
    }

    @Test
    void orderDependsOnlyOnSeedAndEpoch() {
        LabeledImages data = indexed(150);
        InMemoryIterator a = new InMemoryIterator(data, Normalization.CIFAR, 64, 42, true);
        InMemoryIterator b = new InMemoryIterator(data, Normalization.CIFAR, 32, 42, true);
        InMemoryIterator c = new InMemoryIterator(data, Normalization.CIFAR, 64, 43, true);
        assertArrayEquals(a.epochOrder(), b.epochOrder(), "same seed, same order (batch size does not matter)");
        assertFalse(Arrays.equals(a.epochOrder(), c.epochOrder()), "another seed, another order");
        int[] epoch0 = a.epochOrder();
        visit(a);
        a.reset();
        assertEquals(1, a.epoch());
        assertFalse(Arrays.equals(epoch0, a.epochOrder()), "reshuffled every epoch");
        b.setEpoch(1);
        assertArrayEquals(a.epochOrder(), b.epochOrder(), "epoch e's order can be recreated, e.g. on resume");
        a.reset();
        assertEquals(1, a.epoch(), "a reset before any batch does not skip an epoch");
    }

    @Test
    void evaluationOrderIsTheStoreOrder() {
        InMemoryIterator it = InMemoryIterator.inOrder(indexed(100), Normalization.CIFAR, 64);
        List<Integer> expected = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            expected.add(i);
        }
        assertEquals(expected, visit(it));
    }

    /**
     * A batch's slices, built on two threads at once as the training workers build them, are exactly the rows of
     * the batch {@code next} gives, with and without augmentation (whose shifts and flips depend on each image's
     * position in the epoch), over a whole epoch of real CIFAR-2 images including its short last batch.
     */
    @Test
    void slicesOfABatchBuiltOnTwoThreadsAreExactlyTheRowsOfTheWholeBatch() throws Exception {
        LabeledImages images = RealData.cifar2().test();
        ExecutorService other = Executors.newSingleThreadExecutor();
        try {
            for (boolean augment : new boolean[] {false, true}) {
                InMemoryIterator whole = new InMemoryIterator(images, Normalization.CIFAR, 64, 3, true).augment(augment);
                InMemoryIterator sliced = new InMemoryIterator(images, Normalization.CIFAR, 64, 3, true).augment(augment);
                whole.setEpoch(2);
                sliced.setEpoch(2);
                int batches = 0;
                while (whole.hasNext()) {
                    DataSet expected = whole.next();
                    InMemoryIterator.Batch batch = sliced.nextBatch(64);
                    int n = batch.size();
                    assertEquals(expected.numExamples(), n);
                    int cut = n / 3;
                    var second = other.submit(() -> batch.slice(cut, n));
                    DataSet first = batch.slice(0, cut);
                    DataSet rest = second.get();
                    float[] got = new float[n * LabeledImages.IMAGE_BYTES];
                    System.arraycopy(first.getFeatures().data().asFloat(), 0, got, 0, cut * LabeledImages.IMAGE_BYTES);
                    System.arraycopy(rest.getFeatures().data().asFloat(), 0, got, cut * LabeledImages.IMAGE_BYTES,
                            (n - cut) * LabeledImages.IMAGE_BYTES);
                    assertArrayEquals(expected.getFeatures().data().asFloat(), got, "augment " + augment + ", features");
                    float[] labels = new float[n * 2];
                    System.arraycopy(first.getLabels().data().asFloat(), 0, labels, 0, cut * 2);
                    System.arraycopy(rest.getLabels().data().asFloat(), 0, labels, cut * 2, (n - cut) * 2);
                    assertArrayEquals(expected.getLabels().data().asFloat(), labels, "augment " + augment + ", labels");
                    batches++;
                }
                assertFalse(sliced.hasNext());
                assertEquals(32, batches, "2,000 images in batches of 64, the last one of 16");
            }
        } finally {
            other.shutdownNow();
        }
    }
}
