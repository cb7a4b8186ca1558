package io.cnnlab.data;

import io.cnnlab.backend.Backend;
import io.cnnlab.testing.RealData;
import io.cnnlab.train.TrainConfig;
import io.cnnlab.train.Trainer;
import org.datavec.api.conf.Configuration;
import org.datavec.api.split.FileSplit;
import org.datavec.api.writable.NDArrayWritable;
import org.datavec.api.writable.Writable;
import org.deeplearning4j.datasets.datavec.RecordReaderDataSetIterator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.DataSet;

import java.io.OutputStream;
import java.io.PrintStream;
import java.util.List;

import static io.cnnlab.testing.Exact.assertBitwiseEquals;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** cnnlab's data through DataVec: the same batches, bit for bit, and the same training run. */
class DataVecPipelineTest {
    @BeforeAll
    static void backend() {
        Backend.configure();
    }

    @Test
    void recordReaderDataSetIteratorWithTheNormalizerGivesCnnlabsBatchesExactly() {
        LabeledImages train = RealData.cifar2().train();
        InMemoryIterator own = new InMemoryIterator(train, Normalization.CIFAR, 64, 42, true);
        // The three lines of the README
        CifarRecordReader reader = new CifarRecordReader(train, 42L);
        RecordReaderDataSetIterator datavec = new RecordReaderDataSetIterator(reader, 64, 1, train.numClasses());
        datavec.setPreProcessor(Normalization.CIFAR.normalizer());

        for (int epoch = 0; epoch < 2; epoch++) {
            int batches = 0;
            while (own.hasNext()) {
                DataSet a = own.next();
                DataSet b = datavec.next();
                assertBitwiseEquals(a.getFeatures(), b.getFeatures(), "epoch " + epoch + ", batch " + batches + " features");
                assertBitwiseEquals(a.getLabels(), b.getLabels(), "epoch " + epoch + ", batch " + batches + " labels");
                batches++;
            }
            assertFalse(datavec.hasNext(), "DataVec's epoch ends with cnnlab's");
            assertEquals(own.batchesPerEpoch(), batches);
            own.reset(); // the next epoch's order, as DL4J's fit resets between epochs
            datavec.reset();
        }
    }

    @Test
    void theReaderInitialisesFromASourcePathAsDataVecReadersDo() throws Exception {
        CifarRecordReader reader = new CifarRecordReader();
        Configuration conf = new Configuration();
        conf.set(CifarRecordReader.SPLIT, "test");
        reader.initialize(conf, new FileSplit(RealData.archive().toFile()));
        LabeledImages test = RealData.cifar10().test();
        assertEquals(test.classNames(), reader.getLabels());
        assertEquals(test.size(), reader.numExamples());
        for (int i = 0; i < 3; i++) {
            List<Writable> record = reader.next();
            float[] pixels = ((NDArrayWritable) record.get(0)).get().ravel().toFloatVector();
            assertArrayEquals(new long[] {1, 3, 32, 32}, ((NDArrayWritable) record.get(0)).get().shape());
            for (int k = 0; k < pixels.length; k += 97) {
                assertEquals(test.pixel(i, k / 1024, (k % 1024) / 32, k % 32) / 255f, pixels[k], "image " + i + " value " + k);
            }
            assertEquals(test.label(i), record.get(1).toInt(), "image " + i + " label");
        }
    }

    @Test
    void aRunOnEitherPipelineIsTheSameRun() {
        CifarData data = RealData.cifar2();
        TrainConfig cfg = new TrainConfig("net", "cifar2", 1, 64, 1e-2, 42, "test", null, true, 2);
        PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
        Trainer.Result memory = new Trainer(quiet).pipeline(Pipeline.MEMORY).train(cfg, data, "test", 0);
        Trainer.Result datavec = new Trainer(quiet).pipeline(Pipeline.DATAVEC).train(cfg, data, "test", 0);
        assertEquals(memory.metrics().trainLoss(), datavec.metrics().trainLoss());
        assertEquals(memory.metrics().trainAccuracy(), datavec.metrics().trainAccuracy());
        assertEquals(memory.metrics().valAccuracy(), datavec.metrics().valAccuracy());
        assertBitwiseEquals(memory.graph().params(), datavec.graph().params(), "trained parameters");
    }
}
