package dev.offload.testing;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The samples of a scrape in the Prometheus text format, by name and labels, for assertions
 * (promtool checks the format itself). Labels are compared as a set, whatever their order.
 */
public final class Scrape {
  private static final Pattern LABEL = Pattern.compile("(\\w+)=\"((?:[^\"\\\\]|\\\\.)*)\"");

  private final Map<String, Double> samples = new LinkedHashMap<>();
  private final String text;

  public Scrape(String text) {
    this.text = text;
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int space = line.lastIndexOf(' ');
      String series = line.substring(0, space);
      samples.put(canonical(series), number(line.substring(space + 1)));
    }
  }

  public String text() {
    return text;
  }

  /** One series' value: {@code value("offload_tasks_submitted_total", "type", "sleep")}. */
  public double value(String name, String... labels) {
    String key = key(name, labels);
    Double v = samples.get(key);
    if (v == null) {
      throw new AssertionError("no series " + key + " in the scrape:\n" + text);
    }
    return v;
  }

  public boolean has(String name, String... labels) {
    return samples.containsKey(key(name, labels));
  }

  /** Every value a label takes in the series of metrics whose name starts with {@code prefix}. */
  public Set<String> labelValues(String prefix, String label) {
    Set<String> values = new TreeSet<>();
    for (String series : samples.keySet()) {
      if (series.startsWith(prefix)) {
        Matcher m = LABEL.matcher(series);
        while (m.find()) {
          if (m.group(1).equals(label)) {
            values.add(m.group(2));
          }
        }
      }
    }
    return values;
  }

  private static String key(String name, String... labels) {
    StringBuilder b = new StringBuilder(name);
    if (labels.length > 0) {
      TreeMap<String, String> sorted = new TreeMap<>();
      for (int i = 0; i < labels.length; i += 2) {
        sorted.put(labels[i], labels[i + 1]);
      }
      b.append('{');
      sorted.forEach((k, v) -> b.append(k).append("=\"").append(v).append("\","));
      b.setLength(b.length() - 1);
      b.append('}');
    }
    return b.toString();
  }

  private static String canonical(String series) {
    int brace = series.indexOf('{');
    if (brace < 0) {
      return series;
    }
    TreeMap<String, String> sorted = new TreeMap<>();
    Matcher m = LABEL.matcher(series.substring(brace));
    while (m.find()) {
      sorted.put(m.group(1), m.group(2));
    }
    String[] pairs = sorted.entrySet().stream()
        .flatMap(e -> java.util.stream.Stream.of(e.getKey(), e.getValue()))
        .toArray(String[]::new);
    return key(series.substring(0, brace), pairs);
  }

  private static double number(String s) {
    return switch (s) {
      case "+Inf" -> Double.POSITIVE_INFINITY;
      case "-Inf" -> Double.NEGATIVE_INFINITY;
      default -> Double.parseDouble(s);
    };
  }
}
