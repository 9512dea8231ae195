// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler;

/** PNG bar charts of the report (XChart). */
final class Charts {
  private Charts() {}

  /** One bar group per category, one bar per series; NaN values are drawn as 0. */
  static void groupedBars(
      String title,
      String xLabel,
      String yLabel,
      Map<String, ? extends Map<?, Double>> series,
      Path png,
      boolean logY)
      throws IOException {
    CategoryChart chart =
        new CategoryChartBuilder()
            .width(900)
            .height(480)
            .title(title)
            .xAxisTitle(xLabel)
            .yAxisTitle(yLabel)
            .build();
    chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
    chart.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
    chart.getStyler().setYAxisLogarithmic(logY);
    if (logY) {
      chart.getStyler().setYAxisMin(0.1); // bars start at the axis minimum, which must be > 0
    }
    chart.getStyler().setLabelsVisible(false);
    chart.getStyler().setYAxisDecimalPattern(logY ? "#,##0.#" : "#,##0.##");
    for (Map.Entry<String, ? extends Map<?, Double>> s : series.entrySet()) {
      List<String> x = new ArrayList<>();
      List<Double> y = new ArrayList<>();
      for (Map.Entry<?, Double> e : s.getValue().entrySet()) {
        x.add(String.valueOf(e.getKey()));
        double v = e.getValue() == null || e.getValue().isNaN() ? 0 : e.getValue();
        y.add(logY ? Math.max(v, 0.1) : v);
      }
      chart.addSeries(s.getKey(), x, y);
    }
    BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
  }
}
