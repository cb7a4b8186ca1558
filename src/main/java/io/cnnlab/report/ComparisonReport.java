package io.cnnlab.report;

import io.cnnlab.util.Json;
import io.cnnlab.util.AtomicFiles;
import io.cnnlab.experiment.Comparison;
import io.cnnlab.train.Recipe;
import io.cnnlab.train.RunMetrics;
import io.cnnlab.util.RuntimeInfo;
import io.cnnlab.train.Trainer;
import io.cnnlab.util.Words;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes a comparison's results: {@code results.csv} and {@code results.json} (every run, plus mean
 * and sd over seeds per architecture), four PNG charts, and {@code report.html}, one self-contained
 * page with the charts embedded.
 */
public final class ComparisonReport {
    /** The notebook's own result for its baseline {@code Net} after 100 epochs. */
    public static final double NOTEBOOK_NET_TRAIN = 0.94;
    public static final double NOTEBOOK_NET_VAL = 0.88;
    public static final List<String> CHARTS = List.of("loss.png", "curves.png", "accuracy.png", "accuracy-vs-params.png",
            "seconds-per-epoch.png");
    /** The chart of a comparison's validation curves against its baseline's, when it has one. */
    public static final String BASELINE_CHART = "against-baseline.png";

    /** Mean and sample standard deviation over seeds of one architecture's runs. */
    public record Summary(String arch, int runs, long trainableParams, double trainAccuracyMean, double trainAccuracySd,
                          double valAccuracyMean, double valAccuracySd, double secondsPerEpochMean,
                          double secondsPerEpochSd, double[] meanTrainLoss, double[] meanValAccuracy,
                          double[] meanTrainSampleAccuracy, int bestEpoch) {
    }

    private ComparisonReport() {
    }

    public static List<Summary> summarize(List<String> archs, List<RunMetrics> runs) {
        List<Summary> out = new ArrayList<>();
        for (String arch : archs) {
            List<RunMetrics> rs = runs.stream().filter(r -> r.arch().equals(arch)).toList();
            if (rs.isEmpty()) {
                continue;
            }
            double[] train = rs.stream().mapToDouble(RunMetrics::trainAccuracy).toArray();
            double[] val = rs.stream().mapToDouble(RunMetrics::valAccuracy).toArray();
            double[] secs = rs.stream().mapToDouble(ComparisonReport::secondsPerEpoch).toArray();
            double[] loss = meanCurve(rs, r -> r.curves().trainLoss());
            double[] valCurve = meanCurve(rs, r -> r.curves().valAccuracy());
            int best = RunMetrics.Curves.of(List.of(), List.of(), java.util.Arrays.stream(valCurve).boxed().toList(),
                    List.of(), List.of()).bestEpoch();
            out.add(new Summary(arch, rs.size(), rs.get(0).trainableParams(), mean(train), sd(train), mean(val), sd(val),
                    mean(secs), sd(secs), loss, valCurve, meanCurve(rs, r -> r.curves().trainSampleAccuracy()), best));
        }
        return out;
    }

    /** The mean over runs of a per-epoch curve, as long as the shortest run's (runs of older cnnlabs: none). */
    private static double[] meanCurve(List<RunMetrics> rs, java.util.function.Function<RunMetrics, List<Double>> curve) {
        int epochs = rs.stream().mapToInt(r -> curve.apply(r) == null ? 0 : curve.apply(r).size()).min().orElse(0);
        double[] m = new double[epochs];
        for (RunMetrics r : rs) {
            for (int e = 0; e < epochs; e++) {
                m[e] += curve.apply(r).get(e) / rs.size();
            }
        }
        return m;
    }

    public static double secondsPerEpoch(RunMetrics r) {
        return r.epochSeconds().stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }

    static double mean(double[] a) {
        double s = 0;
        for (double v : a) {
            s += v;
        }
        return s / a.length;
    }

    /** Sample standard deviation (n - 1); 0 for a single run. */
    static double sd(double[] a) {
        if (a.length < 2) {
            return 0;
        }
        double m = mean(a);
        double s = 0;
        for (double v : a) {
            s += (v - m) * (v - m);
        }
        return Math.sqrt(s / (a.length - 1));
    }

    public static void write(Path dir, Comparison.Plan plan, List<RunMetrics> runs) {
        write(dir, plan, runs, null);
    }

    /** As {@link #write(Path, Comparison.Plan, List)}, naming the cluster the runs ran on (null: this machine). */
    public static void write(Path dir, Comparison.Plan plan, List<RunMetrics> runs, Comparison.Cluster cluster) {
        write(dir, plan, runs, cluster, null);
    }

    /**
     * As {@link #write(Path, Comparison.Plan, List, Comparison.Cluster)}, with the runs of an earlier comparison
     * (null: none) set beside these for every architecture both hold: a table, a chart, and its summary in
     * results.json.
     */
    public static void write(Path dir, Comparison.Plan plan, List<RunMetrics> runs, Comparison.Cluster cluster,
                             Baseline baseline) {
        List<Summary> summary = summarize(plan.archs(), runs);
        List<String> shared = baseline == null ? List.of()
                : summary.stream().map(Summary::arch).filter(a -> !baseline.runsOf(a).isEmpty()).toList();
        List<Summary> before = baseline == null ? List.of() : summarize(shared, baseline.runs());
        AtomicFiles.writeString(dir.resolve("results.csv"), csv(runs, summary));
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("settings", settings(plan));
        json.put("machine", RuntimeInfo.machine());
        if (cluster != null) {
            json.put("cluster", cluster);
        }
        json.put("summary", summary);
        if (baseline != null) {
            json.put("baseline", Map.of("from", baseline.from(), "summary", before));
        }
        json.put("runs", runs);
        AtomicFiles.write(dir.resolve("results.json"), tmp -> Json.MAPPER.writeValue(tmp.toFile(), json));

        List<String> archs = summary.stream().map(Summary::arch).toList();
        Map<String, double[]> losses = new LinkedHashMap<>();
        summary.forEach(s -> losses.put(s.arch(), s.meanTrainLoss()));
        Map<String, byte[]> charts = new LinkedHashMap<>();
        Map<String, double[]> valCurves = new LinkedHashMap<>();
        Map<String, double[]> trainCurves = new LinkedHashMap<>();
        summary.forEach(s -> {
            valCurves.put(s.arch(), s.meanValAccuracy());
            trainCurves.put(s.arch(), s.meanTrainSampleAccuracy());
        });
        charts.put(CHARTS.get(0), Charts.png(Charts.lossCurves(losses)));
        charts.put(CHARTS.get(1), Charts.png(Charts.learningCurves(valCurves, trainCurves)));
        charts.put(CHARTS.get(2), Charts.png(Charts.accuracyBars(archs, col(summary, Summary::trainAccuracyMean),
                col(summary, Summary::trainAccuracySd), col(summary, Summary::valAccuracyMean), col(summary, Summary::valAccuracySd))));
        charts.put(CHARTS.get(3), Charts.png(Charts.accuracyVsParams(archs, col(summary, s -> s.trainableParams()),
                col(summary, Summary::valAccuracyMean))));
        charts.put(CHARTS.get(4), Charts.png(Charts.secondsPerEpoch(archs, col(summary, Summary::secondsPerEpochMean),
                col(summary, Summary::secondsPerEpochSd))));
        if (!shared.isEmpty()) {
            Map<String, double[]> now = new LinkedHashMap<>();
            Map<String, double[]> then = new LinkedHashMap<>();
            for (int i = 0; i < shared.size(); i++) {
                now.put(shared.get(i), valCurves.get(shared.get(i)));
                then.put(shared.get(i), before.get(i).meanValAccuracy());
            }
            charts.put(BASELINE_CHART, Charts.png(Charts.againstBaseline(now, then)));
        }
        charts.forEach((name, png) -> AtomicFiles.write(dir.resolve(name), tmp -> Files.write(tmp, png)));
        String side = shared.isEmpty() ? "" : againstBaseline(plan, summary, before, baseline);
        AtomicFiles.writeString(dir.resolve("report.html"), html(plan, runs, summary, charts, cluster)
                .replace("<h2>Notebook reference</h2>", side + "<h2>Notebook reference</h2>"));
    }

    /**
     * The section that sets each architecture's runs beside the baseline's: recipe, epochs, runs, train and
     * validation accuracy at the last epoch (mean ± sd), and the best epoch of the mean validation curve.
     */
    static String againstBaseline(Comparison.Plan plan, List<Summary> summary, List<Summary> before, Baseline baseline) {
        StringBuilder rows = new StringBuilder();
        for (Summary then : before) {
            Summary now = summary.stream().filter(x -> x.arch().equals(then.arch())).findFirst().orElseThrow();
            RunMetrics first = baseline.runsOf(then.arch()).get(0);
            rows.append(sideRow(then, "baseline", first.settings().recipe(), first.settings().epochs(),
                    first.settings().learningRate()));
            rows.append(sideRow(now, "this comparison", plan.recipe(), plan.epochs(), plan.learningRateOf(now.arch())));
        }
        return """
                <h2>Against the baseline</h2>
                <p class=sub>Baseline: <code>%s</code>. Accuracies at each run's last epoch, mean ± sd over seeds;
                best: the highest point of the mean validation curve. The chart <code>%s</code> draws both
                mean validation curves.</p>
                <table><tr><th>architecture</th><th>runs of</th><th>recipe</th><th>lr</th><th>epochs</th><th>runs</th>
                <th>train accuracy</th><th>validation accuracy</th><th>best validation (epoch)</th></tr>
                %s</table>
                """.formatted(esc(baseline.from()), BASELINE_CHART, rows);
    }

    private static String sideRow(Summary s, String which, Recipe recipe, int epochs, double lr) {
        double[] v = s.meanValAccuracy();
        String best = s.bestEpoch() == 0 || v.length < s.bestEpoch() ? ""
                : String.format(Locale.ROOT, "%.3f (%d)", v[s.bestEpoch() - 1], s.bestEpoch());
        return String.format(Locale.ROOT, "<tr><td>%s</td><td>%s</td><td>%s</td><td class=n>%s</td><td class=n>%d</td>"
                        + "<td class=n>%d</td><td class=n>%.3f ± %.3f</td><td class=n>%.3f ± %.3f</td><td class=n>%s</td></tr>%n",
                esc(s.arch()), which, esc(recipe(recipe)), lr, epochs, s.runs(), s.trainAccuracyMean(), s.trainAccuracySd(),
                s.valAccuracyMean(), s.valAccuracySd(), best);
    }

    /** A recipe in a few words ({@link Recipe#describe()}). */
    static String recipe(Recipe r) {
        return r.describe();
    }

    private static Map<String, Object> settings(Comparison.Plan plan) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("archs", plan.archs());
        s.put("dataset", plan.dataset());
        s.put("epochs", plan.epochs());
        s.put("seeds", plan.seedList());
        s.put("batchSize", plan.batchSize());
        if (plan.width() > 0) {
            s.put("width", plan.width());
        }
        Map<String, Double> lr = new LinkedHashMap<>();
        plan.archs().forEach(a -> lr.put(a, plan.learningRateOf(a)));
        s.put("learningRate", lr);
        s.put("recipe", plan.recipe());
        s.put("data", plan.data());
        return s;
    }

    private static double[] col(List<Summary> s, java.util.function.ToDoubleFunction<Summary> f) {
        return s.stream().mapToDouble(f).toArray();
    }

    static String csv(List<RunMetrics> runs, List<Summary> summary) {
        StringBuilder sb = new StringBuilder("arch,seed,epochs,trainableParams,finalTrainLoss,trainAccuracy,valAccuracy,secondsPerEpoch\n");
        for (RunMetrics r : runs) {
            sb.append(String.format(Locale.ROOT, "%s,%d,%d,%d,%.6f,%.4f,%.4f,%.3f%n", r.arch(), r.seed(), r.epochs(),
                    r.trainableParams(), r.trainLoss().get(r.trainLoss().size() - 1), r.trainAccuracy(), r.valAccuracy(),
                    secondsPerEpoch(r)));
        }
        for (Summary s : summary) {
            int epochs = s.meanTrainLoss().length;
            double loss = epochs == 0 ? Double.NaN : s.meanTrainLoss()[epochs - 1];
            sb.append(String.format(Locale.ROOT, "%s,mean,%d,%d,%.6f,%.4f,%.4f,%.3f%n", s.arch(), epochs, s.trainableParams(),
                    loss, s.trainAccuracyMean(), s.valAccuracyMean(), s.secondsPerEpochMean()));
            sb.append(String.format(Locale.ROOT, "%s,sd,%d,%d,,%.4f,%.4f,%.3f%n", s.arch(), epochs, s.trainableParams(),
                    s.trainAccuracySd(), s.valAccuracySd(), s.secondsPerEpochSd()));
        }
        return sb.toString();
    }

    private static String esc(Object o) {
        return String.valueOf(o).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    static String html(Comparison.Plan plan, List<RunMetrics> runs, List<Summary> summary, Map<String, byte[]> charts,
                       Comparison.Cluster cluster) {
        StringBuilder rows = new StringBuilder();
        double bestVal = summary.stream().mapToDouble(Summary::valAccuracyMean).max().orElse(0);
        for (Summary s : summary) {
            rows.append(String.format(Locale.ROOT,
                    "<tr%s><td>%s</td><td class=n>%,d</td><td class=n>%.3f ± %.3f</td><td class=n>%.3f ± %.3f</td>"
                            + "<td class=n>%.2f ± %.2f</td><td class=n>%d</td><td class=n>%s</td></tr>%n",
                    s.valAccuracyMean() == bestVal ? " class=best" : "", esc(s.arch()), s.trainableParams(),
                    s.trainAccuracyMean(), s.trainAccuracySd(), s.valAccuracyMean(), s.valAccuracySd(),
                    s.secondsPerEpochMean(), s.secondsPerEpochSd(), s.runs(), s.bestEpoch() == 0 ? "" : s.bestEpoch()));
        }
        StringBuilder images = new StringBuilder();
        charts.forEach((name, png) -> images.append("<figure><img alt=\"").append(esc(name)).append("\" src=\"data:image/png;base64,")
                .append(Base64.getEncoder().encodeToString(png)).append("\"><figcaption>").append(esc(name)).append("</figcaption></figure>\n"));
        String reference = summary.stream().filter(s -> s.arch().equals("net")).findFirst().map(s -> String.format(Locale.ROOT,
                "<table><tr><th></th><th>epochs</th><th>train accuracy</th><th>validation accuracy</th></tr>"
                        + "<tr><td>notebook (PyTorch)</td><td class=n>100</td><td class=n>%.2f</td><td class=n>%.2f</td></tr>"
                        + "<tr><td>cnnlab (this study, mean of %s)</td><td class=n>%d</td><td class=n>%.3f</td><td class=n>%.3f</td></tr></table>",
                NOTEBOOK_NET_TRAIN, NOTEBOOK_NET_VAL, Words.count(s.runs(), "seed"), plan.epochs(), s.trainAccuracyMean(), s.valAccuracyMean()))
                .orElse("<p>(<code>net</code> was not part of this comparison.)</p>");
        Map<String, Object> machine = RuntimeInfo.machine();
        StringBuilder machineRows = new StringBuilder();
        if (cluster != null) {
            machine = new LinkedHashMap<>(machine);
            machine.put("Spark master", cluster.master());
            machine.put("Spark version", cluster.sparkVersion());
            machine.put("executors that ran runs", cluster.executors());
            machine.put("cores (task slots)", cluster.cores());
            machine.put("cores per run (spark.task.cpus)", cluster.taskCpus());
        }
        machine.forEach((k, v) -> machineRows.append("<tr><td>").append(esc(k)).append("</td><td>").append(esc(v)).append("</td></tr>"));
        String backend = runs.isEmpty() ? "" : runs.get(0).environment().backend();
        return """
                <!DOCTYPE html>
                <html lang="en"><head><meta charset="utf-8">
                <title>cnnlab comparison: %s</title>
                <style>
                body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1000px;color:#1d2733;padding:0 1rem}
                h1{font-size:1.6rem;margin-bottom:.2rem} h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #dde3ea;padding-bottom:.3rem}
                .sub{color:#5b6b7c;margin-top:0} table{border-collapse:collapse;margin:.6rem 0;font-size:.95rem}
                th,td{padding:.35rem .8rem;border-bottom:1px solid #e6ebf0;text-align:left} td.n{text-align:right;font-variant-numeric:tabular-nums}
                tr.best td{background:#eef7ee;font-weight:600} figure{margin:1rem 0} img{max-width:100%%;border:1px solid #e6ebf0}
                figcaption{color:#5b6b7c;font-size:.85rem} code{background:#f3f5f8;padding:.1rem .3rem;border-radius:3px}
                </style></head><body>
                <h1>CNN design study on %s</h1>
                <p class=sub>%s × %s, %s each, SGD, batch %d. Best validation accuracy highlighted.</p>
                <h2>Results</h2>
                <table><tr><th>architecture</th><th>trainable params</th><th>train accuracy</th><th>validation accuracy</th><th>s / epoch</th><th>runs</th><th>best epoch (mean validation accuracy)</th></tr>
                %s</table>
                <h2>Notebook reference</h2>
                %s
                <h2>Charts</h2>
                %s
                <h2>Settings</h2>
                <table><tr><td>architectures</td><td>%s</td></tr><tr><td>dataset</td><td>%s</td></tr><tr><td>epochs</td><td>%d</td></tr>
                <tr><td>seeds</td><td>%s</td></tr><tr><td>batch size</td><td>%d</td></tr><tr><td>learning rates</td><td>%s</td></tr>
                <tr><td>width</td><td>%s</td></tr><tr><td>recipe</td><td>%s</td></tr><tr><td>data</td><td>%s</td></tr></table>
                <h2>Machine and backend</h2>
                <table><tr><td>backend</td><td>%s</td></tr>%s</table>
                <p class=sub>Generated by cnnlab %s on Deeplearning4j %s. Per-run metrics: <code>results.csv</code>, <code>results.json</code>.</p>
                </body></html>
                """.formatted(esc(plan.dataset()), esc(plan.dataset()), Words.count(summary.size(), "architecture"),
                Words.count(plan.seeds(), "seed"), Words.count(plan.epochs(), "epoch"), plan.batchSize(),
                rows, reference, images, esc(String.join(", ", plan.archs())), esc(plan.dataset()), plan.epochs(),
                esc(plan.seedList()), plan.batchSize(), esc(settings(plan).get("learningRate")),
                plan.width() > 0 ? plan.width() : "each architecture's default", esc(recipe(plan.recipe())),
                esc(plan.data()),
                esc(backend), machineRows, esc(RuntimeInfo.cnnlabVersion()), esc(RuntimeInfo.dl4jVersion()));
    }
}
