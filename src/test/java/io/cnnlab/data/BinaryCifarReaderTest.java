package io.cnnlab.data;

import io.cnnlab.UserException;
import io.cnnlab.testing.TestImages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BinaryCifarReaderTest {

    @Test
    void readsLabelsPlaneOrderAndRecordCount(@TempDir Path tmp) throws Exception {
        Path dir = TestImages.binaryRelease(tmp);
        CifarData data = DataSources.decode(dir);
        assertEquals(15, data.train().size());
        assertEquals(4, data.test().size());
        assertEquals(CifarData.CIFAR10_CLASSES, data.classNames());
        // batch b holds labels (b-1, 9, 2), in file order
        byte[] expected = {0, 9, 2, 1, 9, 2, 2, 9, 2, 3, 9, 2, 4, 9, 2};
        assertArrayEquals(expected, data.train().labels());
        assertArrayEquals(new byte[] {0, 2, 7, 3}, data.test().labels());
        // R plane = label, G plane = 100 + record index in its file, B plane = 255 - label
        LabeledImages t = data.test();
        for (int i = 0; i < t.size(); i++) {
            assertEquals(t.label(i), t.pixel(i, 0, 5, 7));
            assertEquals(100 + i, t.pixel(i, 1, 31, 0));
            assertEquals(255 - t.label(i), t.pixel(i, 2, 0, 31));
        }
    }

    @Test
    void readsTheTarballAsDownloaded(@TempDir Path tmp) throws Exception {
        TestImages.binaryRelease(tmp.resolve("src"));
        Path tgz = TestImages.tarGz(tmp.resolve("src"), tmp.resolve("cifar-10-binary.tar.gz"), "");
        CifarData data = DataSources.decode(tgz);
        assertEquals(15, data.train().size());
        assertEquals(7, data.test().label(2));
    }

    @Test
    void truncatedBatchIsAClearError(@TempDir Path tmp) throws Exception {
        Path dir = TestImages.binaryRelease(tmp);
        Path batch = dir.resolve("data_batch_3.bin");
        byte[] whole = Files.readAllBytes(batch);
        Files.write(batch, Arrays.copyOf(whole, whole.length - 100));
        UserException e = assertThrows(UserException.class, () -> DataSources.decode(dir));
        assertTrue(e.getMessage().contains("data_batch_3.bin"), e.getMessage());
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void labelBeyondTheClassListIsAClearError() {
        byte[] batch = TestImages.binaryBatch(0, 12);
        UserException e = assertThrows(UserException.class, () -> BinaryCifarReader.readRecords(
                List.of(new ArchiveEntries.Entry("x/data_batch_1.bin", batch)), CifarData.CIFAR10_CLASSES));
        assertTrue(e.getMessage().contains("label 12"), e.getMessage());
    }

    @Test
    void missingTestBatchIsNamed(@TempDir Path tmp) throws Exception {
        Path dir = TestImages.binaryRelease(tmp);
        Files.delete(dir.resolve("test_batch.bin"));
        UserException e = assertThrows(UserException.class, () -> DataSources.decode(dir));
        assertTrue(e.getMessage().contains("test_batch.bin"), e.getMessage());
    }
}
