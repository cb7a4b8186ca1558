package io.cnnlab.model;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ParamCountTest {

    /** PyTorch's counts for the notebook's classes (bugs fixed), CIFAR-2 and CIFAR-10. */
    @ParameterizedTest(name = "{0}: {1} (2 classes), {2} (10 classes)")
    @CsvSource({
        "net,        18090,  18354",
        "width,      38386,  38650",
        "dropout,    38386,  38650",
        "batchnorm,  38434,  38698",
        "skip,       16130,  16394",
        "resdeep,    159330, 159594",
        "project,    38658,  38922",
        "embed,      22138,  22402",
    })
    void trainableParametersMatchPyTorch(String arch, long twoClasses, long tenClasses) {
        assertEquals(twoClasses, count(arch, 2));
        assertEquals(tenClasses, count(arch, 10));
    }

    /**
     * The bottleneck design has no PyTorch reference; count it by hand from its definition:
     * stem conv 3x3 3->32 (+bias), per block 1x1 32->8 (+bias), 3x3 8->8 (+bias), 1x1 8->32 (no bias)
     * and BN(32) gamma+beta, then fc 2048->32 and 32->k.
     */
    @Test
    void bottleneckCountFromItsDefinition() {
        for (int k : new int[] {2, 10}) {
            long stem = 3 * 32 * 9 + 32;
            long block = (32 * 8 + 8) + (8 * 8 * 9 + 8) + (8 * 32) + 2 * 32;
            long head = (8 * 8 * 32 * 32 + 32) + (32L * k + k);
            assertEquals(stem + 10 * block + head, count("bottleneck", k));
        }
        assertEquals(78210, count("bottleneck", 2));
    }

    /**
     * The CIFAR-10 recipe's architecture, counted by hand from its definition: stem conv 3x3 3->32 (no
     * bias) + BN(32); per group conv 3x3 in->out and out->out (no bias), each with BN(out) gamma+beta;
     * groups 32->64, 64->128, 128->128; the classifier 128->k with bias after the global pool.
     */
    @Test
    void fastCountFromItsDefinition() {
        for (int k : new int[] {2, 10}) {
            long stem = 3 * 32 * 9 + 2 * 32;
            long groups = 0;
            int[][] io = {{32, 64}, {64, 128}, {128, 128}};
            for (int[] g : io) {
                groups += (long) g[0] * g[1] * 9 + 2 * g[1] + (long) g[1] * g[1] * 9 + 2 * g[1];
            }
            assertEquals(stem + groups + 128L * k + k, count("fast", k));
        }
    }

    @Test
    void perArrayListReadsLikeTheNotebooksNumelList() {
        ComputationGraph g = Architectures.get("net").create().init();
        List<Long> numel = ParamCount.perArray(g).stream().map(ParamCount.Param::count).toList();
        // PyTorch: [432, 16, 1152, 8, 16384, 32, 64, 2]
        assertEquals(List.of(432L, 16L, 1152L, 8L, 16384L, 32L, 64L, 2L), numel);
    }

    @Test
    void dl4jNumParamsAlsoCountsBatchNormRunningStatistics() {
        ComputationGraph g = Architectures.get("resdeep").create().init();
        assertEquals(159_330, ParamCount.trainable(g));
        assertEquals(159_330 + 10 * 2 * 32, g.numParams());
    }

    private static long count(String arch, int classes) {
        return ParamCount.trainable(Architectures.get(arch).create().numClasses(classes).init());
    }
}
