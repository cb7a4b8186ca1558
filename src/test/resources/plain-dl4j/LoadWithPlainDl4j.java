import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.File;

/**
 * A DL4J program that knows nothing of cnnlab: loads a model zip with DL4J's ModelSerializer and writes
 * its outputs for the given input. Run by PortableModelTest with a class path without cnnlab's classes.
 * Arguments: model.zip input.bin output.bin
 */
public class LoadWithPlainDl4j {
    public static void main(String[] args) throws Exception {
        ComputationGraph graph = ModelSerializer.restoreComputationGraph(new File(args[0]), false);
        INDArray x = Nd4j.readBinary(new File(args[1]));
        Nd4j.saveBinary(graph.outputSingle(x), new File(args[2]));
        System.out.println("loaded " + graph.getNumLayers() + " layers, " + graph.numParams() + " parameters");
    }
}
