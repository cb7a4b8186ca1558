package example;

import io.cnnlab.data.CifarRecordReader;
import io.cnnlab.data.Normalization;
import io.cnnlab.model.NetResDeep;
import io.cnnlab.train.EpochHistory;
import io.cnnlab.train.NanGuard;
import io.cnnlab.train.NotebookLog;
import org.datavec.api.conf.Configuration;
import org.datavec.api.split.FileSplit;
import org.deeplearning4j.datasets.datavec.RecordReaderDataSetIterator;
import org.deeplearning4j.datasets.iterator.EarlyTerminationDataSetIterator;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.transferlearning.TransferLearning;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.io.File;
import java.nio.file.Files;

/**
 * A program of its own that uses cnnlab as a library, through DL4J's and DataVec's interfaces only:
 * it embeds cnnlab's NetResDeep in its own graph (its own 10-class head), feeds it CIFAR-10 through
 * a DataVec record reader, trains it with DL4J's fit and cnnlab's listeners, exports a zip and
 * reloads that zip with plain DL4J.
 *
 * <p>Usage: {@code EmbedNetResDeep <cifar source: binary release, image tree or archive> <out folder>}
 */
public class EmbedNetResDeep {
    public static void main(String[] args) throws Exception {
        File source = new File(args[0]);
        File out = new File(args[1]);

        // cnnlab's architecture, two residual blocks, inside a graph with this program's own output layer
        ComputationGraph resdeep = new NetResDeep().nBlocks(2).numClasses(2).seed(1).init();
        ComputationGraph mine = new TransferLearning.GraphBuilder(resdeep)
                .removeVertexKeepConnections("output")
                .addLayer("output", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                        .nIn(32).nOut(10).activation(Activation.SOFTMAX).build(), "fc1")
                .build();

        // CIFAR-10 through DataVec: cnnlab's reader, DL4J's iterator, ND4J's normaliser
        Configuration shuffled = new Configuration();
        shuffled.set(CifarRecordReader.SEED, "1"); // stored order is class by class
        CifarRecordReader reader = new CifarRecordReader();
        reader.initialize(shuffled, new FileSplit(source));
        RecordReaderDataSetIterator data = new RecordReaderDataSetIterator(reader, 64, 1, 10);
        data.setPreProcessor(Normalization.CIFAR.normalizer());

        EpochHistory history = new EpochHistory();
        mine.setListeners(history, new NanGuard(), new NotebookLog(System.out, history, 1));
        mine.fit(new EarlyTerminationDataSetIterator(data, 30), 1); // 30 batches: a demonstration, not a study

        Files.createDirectories(out.toPath());
        File zip = new File(out, "embedded.zip");
        ModelSerializer.writeModel(mine, zip, true);
        ComputationGraph reloaded = ModelSerializer.restoreComputationGraph(zip, true);
        data.reset();
        INDArray x = data.next().getFeatures();
        if (!mine.outputSingle(x).equals(reloaded.outputSingle(x))) {
            throw new IllegalStateException("the reloaded model computes something else");
        }
        System.out.printf("trained %d batches (loss %.4f), exported %s, reloaded with plain DL4J: same outputs%n",
                30, history.trainLoss().get(0), zip);
    }
}
