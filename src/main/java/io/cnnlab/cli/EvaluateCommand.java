package io.cnnlab.cli;

import io.cnnlab.UserException;
import io.cnnlab.util.Json;
import io.cnnlab.data.CifarData;
import io.cnnlab.data.DataSources;
import io.cnnlab.data.InMemoryIterator;
import io.cnnlab.report.Charts;
import io.cnnlab.util.AtomicFiles;
import io.cnnlab.inference.Ensemble;
import io.cnnlab.inference.TestTimeAugmentation;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.dataset.DataSet;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code cnnlab evaluate}: accuracy, per-class precision/recall/F1 and the confusion matrix of a model. */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
        description = "Evaluate a trained model (or an ensemble of several) on the test (validation) images of its"
                + " classes, with DL4J's Evaluation.")
public final class EvaluateCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, arity = "1..*", paramLabel = "ZIP",
            description = "A run's model.zip (model.json beside it), or a DL4J model zip: then CIFAR input and classes are"
                    + " assumed, and said. Several: evaluate them as an ensemble (class probabilities averaged).")
    List<Path> models;
    @Option(names = "--data", paramLabel = "PATH|URL", description = "Data, as for train.")
    String data;
    @Option(names = "--split", defaultValue = "test", description = "test (the notebook's val) or train; default ${DEFAULT-VALUE}.")
    String split;
    @Option(names = "--out", paramLabel = "DIR", description = "Where to write evaluation.json and confusion.png;"
            + " default beside the model (an ensemble: ensemble/ in the folder holding its models).")
    Path out;
    @Option(names = "--tta", arity = "0..1", fallbackValue = "flip", paramLabel = "KIND",
            description = "Test-time augmentation: average the class probabilities of each image and its mirror image"
                    + " (flip, the default), or also of its 1-pixel diagonal shifts as airbench does (flip-translate).")
    String tta;

    @Override
    public Integer call() throws Exception {
        TestTimeAugmentation augmentation = tta == null ? TestTimeAugmentation.NONE : TestTimeAugmentation.parse(tta);
        Ensemble m = Ensemble.load(models, System.err::println);
        if (!split.equals("test") && !split.equals("train")) {
            throw new UserException("--split must be test or train, got '" + split + "'");
        }
        DataSources.Loaded loaded = new DataSources(DataSources.defaultHome()).load(DataSources.resolveSpec(data),
                m.classes());
        CifarData d = loaded.data();
        var images = split.equals("test") ? d.test() : d.train();
        Evaluation ev = new Evaluation(m.classes());
        // One model without TTA is an ensemble of one: exactly the network's own output.
        InMemoryIterator it = InMemoryIterator.inOrder(images, m.normalization(), 64);
        while (it.hasNext()) {
            DataSet ds = it.next();
            ev.eval(ds.getLabels(), m.output(ds.getFeatures(), augmentation));
        }
        System.out.println(ev.stats(false, true));

        int k = m.classes().size();
        int[][] confusion = new int[k][k];
        for (int a = 0; a < k; a++) {
            for (int p = 0; p < k; p++) {
                confusion[a][p] = ev.getConfusionMatrix().getCount(a, p);
            }
        }
        List<Map<String, Object>> perClass = new ArrayList<>();
        for (int c = 0; c < k; c++) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("class", m.classes().get(c));
            row.put("precision", ev.precision(c));
            row.put("recall", ev.recall(c));
            row.put("f1", ev.f1(c));
            row.put("count", ev.classCount(c));
            perClass.add(row);
        }
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("model", models.get(0).toAbsolutePath().toString());
        if (models.size() > 1) {
            json.put("ensemble", models.stream().map(p -> p.toAbsolutePath().toString()).toList());
        }
        json.put("data", loaded.source());
        json.put("split", split);
        json.put("examples", images.size());
        json.put("accuracy", ev.accuracy());
        json.put("testTimeAugmentation", augmentation.description());
        json.put("classes", m.classes());
        json.put("perClass", perClass);
        json.put("confusionMatrix", confusion);
        Path dir = out != null ? out : commonFolder(models);
        Files.createDirectories(dir);
        AtomicFiles.write(dir.resolve("evaluation.json"), tmp -> Json.MAPPER.writeValue(tmp.toFile(), json));
        byte[] png = Charts.png(Charts.confusion(m.classes(), confusion));
        AtomicFiles.write(dir.resolve("confusion.png"), tmp -> Files.write(tmp, png));
        System.out.printf("Accuracy %s: %.4f%n", split, ev.accuracy());
        System.out.println("cnnlab: wrote " + dir.resolve("evaluation.json") + " and confusion.png");
        return 0;
    }

    /**
     * The folder of one model; for several, {@code ensemble/} in the deepest folder holding them all, so that
     * no member's own evaluation is overwritten.
     */
    static Path commonFolder(List<Path> zips) {
        Path common = zips.get(0).toAbsolutePath().normalize().getParent();
        for (Path z : zips) {
            Path p = z.toAbsolutePath().normalize();
            while (!p.startsWith(common)) {
                common = common.getParent();
            }
        }
        return zips.size() > 1 ? common.resolve("ensemble") : common;
    }
}
