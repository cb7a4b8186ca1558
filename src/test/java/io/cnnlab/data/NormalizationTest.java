package io.cnnlab.data;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class NormalizationTest {

    /** The notebook: ToTensor() then Normalize((0.4915, 0.4823, 0.4468), (0.2470, 0.2435, 0.2616)). */
    @Test
    void matchesTheNotebooksFormulaOnKnownPixels() {
        Normalization n = Normalization.CIFAR;
        assertEquals((0 / 255.0 - 0.4915) / 0.2470, n.apply(0, 0), 1e-6);
        assertEquals((255 / 255.0 - 0.4823) / 0.2435, n.apply(1, 255), 1e-6);
        assertEquals((128 / 255.0 - 0.4468) / 0.2616, n.apply(2, 128), 1e-6);
        assertEquals(-1.98988, n.apply(0, 0), 1e-5);
        assertEquals(2.12608, n.apply(1, 255), 1e-5);
    }

    @Test
    void appliesPerChannelPlanes() {
        byte[] img = new byte[LabeledImages.IMAGE_BYTES];
        java.util.Arrays.fill(img, 0, LabeledImages.PLANE, (byte) 200);            // R
        java.util.Arrays.fill(img, LabeledImages.PLANE, 2 * LabeledImages.PLANE, (byte) 10);  // G
        java.util.Arrays.fill(img, 2 * LabeledImages.PLANE, img.length, (byte) 255);          // B
        float[] out = new float[LabeledImages.IMAGE_BYTES + 5];
        Normalization.CIFAR.apply(img, 0, out, 5);
        assertEquals((200 / 255.0 - 0.4915) / 0.2470, out[5], 1e-6);
        assertEquals((10 / 255.0 - 0.4823) / 0.2435, out[5 + LabeledImages.PLANE + 77], 1e-6);
        assertEquals((255 / 255.0 - 0.4468) / 0.2616, out[5 + LabeledImages.IMAGE_BYTES - 1], 1e-6);
    }
}
