package io.cnnlab.cli;

import io.cnnlab.data.CifarData;
import io.cnnlab.model.Architectures;
import io.cnnlab.model.ParamCount;
import org.deeplearning4j.nn.graph.ComputationGraph;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

/** {@code cnnlab summary}: DL4J's graph summary and the notebook's {@code numel_list}. */
@Command(name = "summary", mixinStandardHelpOptions = true,
        description = "Print an architecture's graph summary and its per-array trainable parameter list.")
public final class SummaryCommand implements Callable<Integer> {
    @Option(names = "--arch", required = true, description = "Architecture (see 'cnnlab archs').")
    String arch;

    @Option(names = "--dataset", defaultValue = "cifar2", description = "cifar2 or cifar10; default ${DEFAULT-VALUE}.")
    String dataset;

    @Override
    public Integer call() {
        ComputationGraph g = Architectures.get(arch).create().numClasses(CifarData.classesOf(dataset).size()).init();
        System.out.println(g.summary());
        var params = ParamCount.perArray(g);
        System.out.println("Trainable parameters (PyTorch's count; DL4J's total above also counts batch-norm running statistics):");
        for (ParamCount.Param p : params) {
            System.out.printf("  %-22s %-6s %,9d%n", p.layer(), p.key(), p.count());
        }
        System.out.printf("Total trainable: %,d%n", ParamCount.trainable(g));
        System.out.println("numel_list: " + params.stream().map(p -> Long.toString(p.count())).toList());
        return 0;
    }
}
