package io.cnnlab.backend.cpu;

import io.cnnlab.backend.Backend;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.executioner.OpExecutioner;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastAddOp;
import org.nd4j.linalg.api.ops.impl.indexaccum.custom.ArgMax;
import org.nd4j.linalg.api.ops.impl.reduce.same.Sum;
import org.nd4j.linalg.api.ops.impl.scalar.ScalarMultiplication;
import org.nd4j.linalg.api.ops.impl.summarystats.Variance;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Tanh;
import org.nd4j.linalg.api.ops.random.impl.DropOutInverted;
import org.nd4j.linalg.cpu.nativecpu.ops.NativeOpExecutioner;
import org.nd4j.linalg.factory.Nd4j;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import static io.cnnlab.testing.Exact.assertBitwiseEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** cnnlab's fenced executioner: installed by {@code Backend.configure()}, and ND4J's arithmetic unchanged. */
class FencedOpExecutionerTest {

    /** A fresh JVM's executioner after {@code Backend.configure()}, printed as "class fenced". */
    public static final class Probe {
        public static void main(String[] args) {
            Backend.configure();
            System.out.println(Nd4j.getExecutioner().getClass().getName() + " " + Backend.isExecutionerFenced());
        }
    }

    @BeforeAll
    static void backend() {
        Backend.configure();
    }

    private static String probe(String... jvmOptions) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(List.of(jvmOptions));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Probe.class.getName()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String last = null;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                last = line;
            }
        }
        assertEquals(0, p.waitFor(), "the probe JVM's exit code; last line: " + last);
        return last;
    }

    @Test
    void configureInstallsItAndAUsersOwnChoiceStands() throws Exception {
        assertEquals(FencedOpExecutioner.class.getName() + " true", probe());
        assertEquals(NativeOpExecutioner.class.getName() + " false",
                probe("-D" + Backend.OP_EXECUTIONER_PROPERTY + "=" + NativeOpExecutioner.class.getName()));
    }

    /** Each kind of op the executioner overrides gives, bit for bit, what ND4J's own executioner gives. */
    @Test
    void everyKindOfOpComputesWhatNd4jsExecutionerComputes() {
        OpExecutioner fenced = new FencedOpExecutioner();
        OpExecutioner stock = new NativeOpExecutioner();
        Nd4j.getRandom().setSeed(5);
        INDArray x = Nd4j.randn(64, 32);
        INDArray bias = Nd4j.randn(1, 32);
        List<Function<OpExecutioner, INDArray>> ops = List.of(
                e -> {
                    INDArray z = x.dup();
                    e.exec(new BroadcastAddOp(z, bias, z, 1));
                    return z;
                },
                e -> e.exec(new Sum(x, 1)),
                e -> e.exec(new ScalarMultiplication(x.dup(), 0.37)),
                e -> e.exec(new Variance(x, true, 0)),
                e -> e.exec(new Tanh(x.dup())),
                e -> e.exec(new ArgMax(x, false, new int[] {1}))[0],
                e -> e.exec(DynamicCustomOp.builder("tanh").addInputs(x).addOutputs(x.ulike()).build())[0],
                e -> {
                    INDArray z = x.ulike();
                    e.exec(new DropOutInverted(x, z, 0.5), Nd4j.getRandomFactory().getNewRandomInstance(11));
                    return z;
                });
        for (int i = 0; i < ops.size(); i++) {
            assertBitwiseEquals(ops.get(i).apply(stock), ops.get(i).apply(fenced), "op " + i);
        }
    }
}
