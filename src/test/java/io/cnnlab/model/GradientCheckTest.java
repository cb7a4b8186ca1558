package io.cnnlab.model;

import io.cnnlab.backend.Backend;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * DL4J's numerical gradient check, in double precision, on every architecture's graph shape with tiny
 * sizes (8x8 inputs, baseWidth = 4, 2 residual blocks): convolutions, pooling, batch norm, channel dropout
 * (masks fixed by re-seeding before each pass), the residual and bottleneck add vertices, and the head.
 * Every parameter is checked: in M2.1 the ComputationGraph overload ignores subset/maxPerParam.
 */
class GradientCheckTest {

    @BeforeAll
    static void doublePrecision() {
        Backend.configure();
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
    }

    @AfterAll
    static void backToFloat() {
        Nd4j.setDefaultDataTypes(DataType.FLOAT, DataType.FLOAT);
    }

    static List<String> archs() {
        return Architectures.names();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("archs")
    void backpropMatchesNumericalGradients(String arch) {
        ArchitectureBuilder<?> model = Architectures.get(arch).create().baseWidth(4).numClasses(3).inputSize(8)
                .dataType(DataType.DOUBLE).updater(new NoOp()).seed(7);
        if (model instanceof NetResDeep deep) {
            deep.nBlocks(2);
        }
        boolean fast = model instanceof NetFast;
        if (fast) {
            model.baseWidth(2); // seven batch-normalised convolutions: every entry at width 4 takes minutes
        }
        ComputationGraph net = model.init();
        // Batch norm's running mean and variance are not trained: forward passes in training mode
        // move them, so DL4J's own batch-norm gradient checks leave them out too.
        Set<String> runningStats = new HashSet<>();
        for (var layer : net.getLayers()) {
            for (String key : List.of("mean", "var", "log10stdev")) {
                if (layer.paramTable().containsKey(key)) {
                    runningStats.add(layer.conf().getLayer().getLayerName() + "_" + key);
                }
            }
        }
        Nd4j.getRandom().setSeed(12345);
        INDArray x = Nd4j.rand(DataType.DOUBLE, 2, 3, 8, 8).subi(0.5).muli(2);
        INDArray y = Nd4j.zeros(DataType.DOUBLE, 2, 3);
        y.putScalar(0, 1, 1.0);
        y.putScalar(1, 2, 1.0);
        boolean ok = GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig()
                .net(net).inputs(new INDArray[] {x}).labels(new INDArray[] {y})
                .epsilon(1e-6).maxRelError(1e-3).minAbsoluteError(1e-8)
                .excludeParams(runningStats)
                .subset(fast).maxPerParam(fast ? 60 : 0) // fast: 60 entries of every parameter array, DL4J's own sampling
                .callEachIter(g -> Nd4j.getRandom().setSeed(12345)));
        assertTrue(ok, arch + " gradient check");
    }
}
