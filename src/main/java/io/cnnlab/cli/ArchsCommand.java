package io.cnnlab.cli;

import io.cnnlab.data.CifarData;
import io.cnnlab.model.Architectures;
import io.cnnlab.model.ParamCount;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

/** {@code cnnlab archs}: every architecture with its trainable parameter count. */
@Command(name = "archs", mixinStandardHelpOptions = true,
        description = "List the architectures, one per line: name, trainable parameters, notebook class, design.")
public final class ArchsCommand implements Callable<Integer> {
    @Option(names = "--dataset", defaultValue = "cifar2", description = "cifar2 or cifar10 (sets the output size); default ${DEFAULT-VALUE}.")
    String dataset;

    @Override
    public Integer call() {
        int classes = CifarData.classesOf(dataset).size();
        for (Architectures.Entry e : Architectures.all()) {
            long params = ParamCount.trainable(e.create().numClasses(classes).init());
            System.out.printf("%-11s %,9d  %-27s %s%n", e.name(), params, e.notebookClass(), e.design());
        }
        return 0;
    }
}
