package io.cnnlab;

import io.cnnlab.data.CifarRecordReader;
import io.cnnlab.data.InMemoryIterator;
import io.cnnlab.data.LabeledImages;
import io.cnnlab.data.Normalization;
import io.cnnlab.inference.CnnlabModel;
import io.cnnlab.model.NetResDeep;
import io.cnnlab.model.ParamCount;
import io.cnnlab.testing.RealData;
import io.cnnlab.train.Checkpoints;
import io.cnnlab.train.EpochCheckpoint;
import io.cnnlab.train.EpochHistory;
import io.cnnlab.train.NanGuard;
import io.cnnlab.train.NotebookLog;
import io.cnnlab.train.TrainConfig;
import io.cnnlab.train.Trainer;
import org.deeplearning4j.datasets.datavec.RecordReaderDataSetIterator;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;

import javax.imageio.ImageIO;
import java.io.File;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static io.cnnlab.testing.Exact.assertBitwiseEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README's Java examples, between the markers below: they compile and work here, and
 * {@link #theReadmeShowsExactlyTheseExamples} checks that the README holds them verbatim.
 */
class ReadmeExamplesTest {

    @Test
    void embedAnArchitecture() {
        // README:embed
        ComputationGraphConfiguration conf = new NetResDeep()
                .baseWidth(32).nBlocks(10).numClasses(10).seed(42).updater(new Sgd(1e-3))
                .conf();                         // or .graphBuilder() to add your own vertices
        ComputationGraph net = new ComputationGraph(conf);
        net.init();                              // or new NetResDeep()....init(): PyTorch-style biases too
        // README:end
        assertEquals(159_594, ParamCount.trainable(net));
        assertEquals(10, net.outputSingle(Nd4j.zeros(DataType.FLOAT, 1, 3, 32, 32)).length());
    }

    @Test
    void readThroughDataVec() {
        LabeledImages images = RealData.cifar2().test();
        // README:datavec
        CifarRecordReader reader = new CifarRecordReader(images, 42L);     // or new CifarRecordReader() + initialize(FileSplit)
        RecordReaderDataSetIterator batches = new RecordReaderDataSetIterator(reader, 64, 1, images.numClasses());
        batches.setPreProcessor(Normalization.CIFAR.normalizer());         // ND4J's NormalizerStandardize
        // README:end
        InMemoryIterator own = new InMemoryIterator(images, Normalization.CIFAR, 64, 42, true);
        assertBitwiseEquals(own.next().getFeatures(), batches.next().getFeatures(), "the first batch");
    }

    @Test
    void trainWithCnnlabsListenersUnderDl4jsFit(@TempDir Path runDir) {
        ComputationGraph net = new io.cnnlab.model.Net().init();
        InMemoryIterator batches = new InMemoryIterator(RealData.cifar2().test(), Normalization.CIFAR, 64, 1, true);
        int epochs = 1;
        // README:listeners
        EpochHistory history = new EpochHistory();                      // per-epoch loss and seconds
        net.setListeners(history, new NanGuard(), new NotebookLog(System.out, history, epochs),
                new EpochCheckpoint(new Checkpoints(runDir, 2), () -> history.state(null, null)));
        net.fit(batches, epochs);                                       // or DL4J's EarlyStoppingGraphTrainer
        // README:end
        assertEquals(1, history.trainLoss().size());
        assertEquals(1, new Checkpoints(runDir, 2).list().size());
    }

    @Test
    void loadAModelAndClassifyAnImage(@TempDir Path runs) throws Exception {
        new Trainer(new PrintStream(OutputStream.nullOutputStream())).train(
                new TrainConfig("net", "cifar2", 1, 64, 1e-2, 42, "real", runs.resolve("net"), true),
                RealData.cifar2(), "real", 0);
        String modelZip = runs.resolve("net/model.zip").toString();
        String imageFile = "src/test/resources/images/airplane-0.png";
        // README:load
        CnnlabModel model = CnnlabModel.load(Path.of(modelZip));       // reads model.json beside it
        List<CnnlabModel.Prediction> top = model.classify(ImageIO.read(new File(imageFile)));
        System.out.println(top.get(0).label() + " " + top.get(0).probability());

        ComputationGraph graph = model.graph();                         // the plain DL4J network
        // README:end
        assertEquals("airplane", top.get(0).label());
        assertTrue(graph.numParams() > 0);
    }

    @Test
    void theReadmeShowsExactlyTheseExamples() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        List<String> source = Files.readAllLines(Path.of("src/test/java/io/cnnlab/ReadmeExamplesTest.java"));
        List<String> blocks = new ArrayList<>();
        StringBuilder block = null;
        for (String line : source) {
            if (line.strip().startsWith("// README:end")) {
                blocks.add(block.toString());
                block = null;
            } else if (block != null) {
                block.append(line.length() >= 8 ? line.substring(8) : line.strip()).append('\n');
            } else if (line.strip().startsWith("// README:")) {
                block = new StringBuilder();
            }
        }
        assertEquals(4, blocks.size(), "four marked examples");
        for (String b : blocks) {
            assertFalse(b.isBlank());
            assertTrue(readme.contains("```java\n" + b + "```"), "the README shows, as one Java block:\n" + b);
        }
    }
}
