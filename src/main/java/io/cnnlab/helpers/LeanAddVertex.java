package io.cnnlab.helpers;

import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.impl.ElementWiseVertex;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.AddOp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * DL4J's elementwise add of two arrays of one shape in one pass: DL4J's vertex copies its first input into
 * the sum and then adds the second in place, two passes over the block's array where a residual block has
 * one. The backward pass is DL4J's, copies included: the gradient the vertex receives lives in its consumer's
 * workspace, which DL4J closes once this vertex has run, so each input needs a copy in this vertex's own.
 * Same op, same numbers; any other case (more inputs, broadcasting, a cast) takes DL4J's path. It exists
 * only in live graphs, put there by {@link Helpers#accelerate}, never in a saved model.
 */
final class LeanAddVertex extends ElementWiseVertex {
    private boolean leanLast;
    private BlockedTrunk trunk; // the blocked trunk its inputs and output are inside, if any
    private boolean trunkPending; // whether the last training forward pass ran inside it, its backward pass to come

    private LeanAddVertex(ElementWiseVertex original) {
        super(original.getGraph(), original.getVertexName(), original.getVertexIndex(), original.getInputVertices(),
                original.getOutputVertices(), Op.Add, original.getDataType());
        setOutputVertex(original.isOutputVertex());
    }

    @Override
    public INDArray doForward(boolean training, LayerWorkspaceMgr mgr) {
        leanLast = canDoForward() && inputs.length == 2 && inputs[0].equalShapes(inputs[1])
                && inputs[0].dataType() == dataType && inputs[1].dataType() == dataType;
        trunkPending = trunk != null && trunk.layout() != null;
        if (trunkPending) {
            if (!leanLast) {
                throw new IllegalStateException("add '" + getVertexName() + "': not a lean add inside a blocked trunk");
            }
            trunk.check(inputs[0], getVertexName());
            trunk.check(inputs[1], getVertexName());
        }
        if (!leanLast) {
            return super.doForward(training, mgr);
        }
        INDArray sum = mgr.createUninitialized(ArrayType.ACTIVATIONS, dataType, inputs[0].shape());
        Nd4j.exec(new AddOp(inputs[0], inputs[1], sum));
        return trunkPending ? trunk.mark(sum) : sum;
    }

    @Override
    public Pair<Gradient, INDArray[]> doBackward(boolean tbptt, LayerWorkspaceMgr mgr) {
        if (!leanLast) {
            return super.doBackward(tbptt, mgr);
        }
        if (!canDoBackward()) {
            throw new IllegalStateException("Cannot do backward pass: errors not set");
        }
        INDArray[] grads = {mgr.dup(ArrayType.ACTIVATION_GRAD, epsilon), mgr.dup(ArrayType.ACTIVATION_GRAD, epsilon)};
        if (trunkPending) {
            trunkPending = false;
            trunk.check(epsilon, getVertexName());
            trunk.mark(grads[0]);
            trunk.mark(grads[1]);
        }
        return new Pair<>(null, grads);
    }

    /** Puts this vertex inside {@code trunk}: its inputs and output are inside. */
    void inTrunk(BlockedTrunk trunk) {
        this.trunk = trunk;
    }

    /** Whether the last forward pass took the one-pass add. */
    boolean leanLast() {
        return leanLast;
    }

    /** Puts a lean copy of {@code vertex}, an add, into {@code graph} in its place. */
    static void replace(ComputationGraph graph, ElementWiseVertex vertex) {
        LiveLayers.replaceVertex(graph, vertex, new LeanAddVertex(vertex));
    }
}
