package io.cnnlab;

import io.cnnlab.model.NetResDeep;
import io.cnnlab.model.ParamCount;
import io.cnnlab.testing.RealData;
import io.cnnlab.inference.CnnlabModel;
import io.cnnlab.train.TrainConfig;
import io.cnnlab.train.Trainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;

import javax.imageio.ImageIO;
import java.io.File;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The README's Java examples, verbatim between the markers, so they keep compiling and working. */
class ReadmeExamplesTest {

    @Test
    void embedAnArchitecture() {
        // README:embed
        ComputationGraphConfiguration conf = new NetResDeep()
                .nCh1(32).nBlocks(10).numClasses(10).seed(42).updater(new Sgd(1e-3))
                .conf();                         // or .graphBuilder() to add your own vertices
        ComputationGraph net = new ComputationGraph(conf);
        net.init();                              // or new NetResDeep()....init(): PyTorch-style biases too
        // README:end
        assertEquals(159_594, ParamCount.trainable(net));
        assertEquals(10, net.outputSingle(Nd4j.zeros(DataType.FLOAT, 1, 3, 32, 32)).length());
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
}
