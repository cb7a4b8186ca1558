package io.cnnlab.data;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.DataSet;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

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
}
