package io.cnnlab.report;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.colors.XChartSeriesColors;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.awt.Color;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The report's charts, drawn with XChart and encoded as PNG bytes. */
public final class Charts {
    public static final int WIDTH = 900;
    public static final int HEIGHT = 520;

    static {
        System.setProperty("java.awt.headless", "true");
    }

    private Charts() {
    }

    public static byte[] png(Chart<?, ?> chart) {
        try {
            return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static <S extends Styler> S style(S s) {
        s.setChartBackgroundColor(Color.WHITE);
        s.setLegendPosition(Styler.LegendPosition.OutsideE);
        s.setChartTitleFont(s.getChartTitleFont().deriveFont(18f));
        s.setAntiAlias(true);
        return s;
    }

    /** Mean training loss per epoch, one line per architecture. */
    public static XYChart lossCurves(Map<String, double[]> lossByArch) {
        XYChart c = new XYChartBuilder().width(WIDTH).height(HEIGHT).title("Training loss per epoch (mean over seeds)")
                .xAxisTitle("epoch").yAxisTitle("cross-entropy loss").build();
        style(c.getStyler()).setMarkerSize(5);
        lossByArch.forEach((arch, loss) -> {
            double[] x = new double[loss.length];
            for (int i = 0; i < x.length; i++) {
                x[i] = i + 1;
            }
            XYSeries s = c.addSeries(arch, x, loss);
            s.setMarker(loss.length <= 30 ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
        });
        return c;
    }

    /**
     * Accuracy after each epoch, mean over seeds: validation (solid) and the training sample (dashed) per
     * architecture, so the gap that opens between them (overfitting) shows.
     */
    public static XYChart learningCurves(Map<String, double[]> valByArch, Map<String, double[]> trainByArch) {
        return solidAndDashed("Accuracy per epoch (mean over seeds): validation solid, training sample dashed",
                "accuracy", valByArch, " val", trainByArch, " train");
    }

    /**
     * Mean validation accuracy per epoch of each architecture: this comparison's runs solid, the baseline's
     * dashed in the same colour.
     */
    public static XYChart againstBaseline(Map<String, double[]> now, Map<String, double[]> baseline) {
        return solidAndDashed("Validation accuracy per epoch, mean over seeds: baseline dashed", "validation accuracy",
                now, "", baseline, " baseline");
    }

    /** Per architecture, a solid curve and (where there is one) a dashed curve in the same colour, per epoch. */
    private static XYChart solidAndDashed(String title, String yTitle, Map<String, double[]> solid, String solidSuffix,
                                          Map<String, double[]> dashed, String dashedSuffix) {
        XYChart c = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title)
                .xAxisTitle("epoch").yAxisTitle(yTitle).build();
        style(c.getStyler()).setMarkerSize(5);
        c.getStyler().setYAxisDecimalPattern("0.00");
        Color[] palette = new XChartSeriesColors().getSeriesColors();
        int i = 0;
        for (Map.Entry<String, double[]> e : solid.entrySet()) {
            Color colour = palette[i++ % palette.length]; // an architecture's two lines share its colour
            for (boolean isDashed : new boolean[] {false, true}) {
                double[] y = isDashed ? dashed.get(e.getKey()) : e.getValue();
                if (y == null || y.length == 0) {
                    continue;
                }
                XYSeries s = c.addSeries(e.getKey() + (isDashed ? dashedSuffix : solidSuffix), epochs(y.length), y);
                s.setLineColor(colour);
                s.setMarkerColor(colour);
                s.setMarker(y.length > 30 ? SeriesMarkers.NONE : isDashed ? SeriesMarkers.DIAMOND : SeriesMarkers.CIRCLE);
                if (isDashed) {
                    s.setLineStyle(SeriesLines.DASH_DASH);
                }
            }
        }
        return c;
    }

    private static double[] epochs(int n) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = i + 1;
        }
        return x;
    }

    /** Train and validation accuracy per architecture, mean bars with ±sd error bars. */
    public static CategoryChart accuracyBars(List<String> archs, double[] trainMean, double[] trainSd,
                                             double[] valMean, double[] valSd) {
        CategoryChart c = new CategoryChartBuilder().width(WIDTH).height(HEIGHT).title("Accuracy (mean ± sd over seeds)")
                .xAxisTitle("architecture").yAxisTitle("accuracy").build();
        style(c.getStyler()).setErrorBarsColor(Color.DARK_GRAY);
        c.getStyler().setYAxisMin(Math.max(0, Math.min(min(trainMean), min(valMean)) - 0.1));
        c.getStyler().setYAxisMax(1.0);
        c.getStyler().setYAxisDecimalPattern("0.00");
        c.addSeries("train", archs, box(trainMean), box(trainSd));
        c.addSeries("validation", archs, box(valMean), box(valSd));
        return c;
    }

    /** Validation accuracy against trainable parameters, one labelled point per architecture. */
    public static XYChart accuracyVsParams(List<String> archs, double[] params, double[] valMean) {
        XYChart c = new XYChartBuilder().width(WIDTH).height(HEIGHT).title("Validation accuracy vs. trainable parameters")
                .xAxisTitle("trainable parameters").yAxisTitle("validation accuracy").build();
        style(c.getStyler()).setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        c.getStyler().setMarkerSize(12);
        c.getStyler().setYAxisDecimalPattern("0.000");
        for (int i = 0; i < archs.size(); i++) {
            c.addSeries(archs.get(i), new double[] {params[i]}, new double[] {valMean[i]});
        }
        return c;
    }

    /** Seconds per epoch per architecture, mean with ±sd. */
    public static CategoryChart secondsPerEpoch(List<String> archs, double[] mean, double[] sd) {
        CategoryChart c = new CategoryChartBuilder().width(WIDTH).height(HEIGHT).title("Seconds per epoch")
                .xAxisTitle("architecture").yAxisTitle("seconds").build();
        style(c.getStyler()).setLegendVisible(false);
        c.getStyler().setYAxisDecimalPattern("0.0");
        c.addSeries("seconds per epoch", archs, box(mean), box(sd));
        return c;
    }

    /** Confusion matrix: rows actual class, columns predicted class, cells counts. */
    public static HeatMapChart confusion(List<String> classes, int[][] counts) {
        HeatMapChart c = new HeatMapChartBuilder().width(Math.max(520, 80 * classes.size() + 220))
                .height(Math.max(460, 60 * classes.size() + 160)).title("Confusion matrix")
                .xAxisTitle("predicted").yAxisTitle("actual").build();
        style(c.getStyler()).setShowValue(true);
        c.getStyler().setRangeColors(new Color[] {new Color(0xF7FBFF), new Color(0x6BAED6), new Color(0x08306B)});
        List<Number[]> cells = new ArrayList<>();
        for (int actual = 0; actual < classes.size(); actual++) {
            for (int predicted = 0; predicted < classes.size(); predicted++) {
                cells.add(new Number[] {predicted, actual, counts[actual][predicted]});
            }
        }
        c.addSeries("counts", classes, classes, cells);
        return c;
    }

    private static List<Double> box(double[] a) {
        List<Double> l = new ArrayList<>();
        for (double v : a) {
            l.add(v);
        }
        return l;
    }

    private static double min(double[] a) {
        double m = Double.POSITIVE_INFINITY;
        for (double v : a) {
            m = Math.min(m, v);
        }
        return m;
    }
}
