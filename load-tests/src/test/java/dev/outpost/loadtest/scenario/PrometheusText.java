package dev.outpost.loadtest.scenario;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the edge's {@code GET /metrics} (Prometheus text exposition format, as Micrometer writes it:
 * {@code name{label="value",...} number}, no timestamps) into samples, and sums them by name and
 * label: enough for the scenarios' summaries and checks, without a client library.
 */
final class PrometheusText {

    record Sample(String name, Map<String, String> labels, double value) {
    }

    private final List<Sample> samples;

    private PrometheusText(List<Sample> samples) {
        this.samples = samples;
    }

    static PrometheusText parse(String text) {
        List<Sample> samples = new ArrayList<>();
        for (String line : text.split("\n")) {
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#")) {
                continue;
            }
            int brace = l.indexOf('{');
            int space = l.lastIndexOf(' ');
            if (space < 0) {
                throw new IllegalArgumentException("not a Prometheus sample line: " + l);
            }
            Map<String, String> labels = new LinkedHashMap<>();
            String name;
            if (brace >= 0 && brace < space) {
                name = l.substring(0, brace);
                parseLabels(l.substring(brace + 1, l.lastIndexOf('}', space)), labels);
            } else {
                name = l.substring(0, space).strip();
            }
            samples.add(new Sample(name, labels, Double.parseDouble(l.substring(space + 1))));
        }
        return new PrometheusText(samples);
    }

    /** {@code a="x",b="y\"z"}: values are quoted; backslash escapes {@code \"}, {@code \\}, {@code \n}. */
    private static void parseLabels(String s, Map<String, String> into) {
        int i = 0;
        while (i < s.length()) {
            int eq = s.indexOf('=', i);
            String key = s.substring(i, eq).strip();
            int j = eq + 2; // after ="
            StringBuilder value = new StringBuilder();
            while (s.charAt(j) != '"') {
                char c = s.charAt(j);
                if (c == '\\') {
                    char e = s.charAt(++j);
                    value.append(e == 'n' ? '\n' : e);
                } else {
                    value.append(c);
                }
                j++;
            }
            into.put(key, value.toString());
            i = j + 1;
            while (i < s.length() && (s.charAt(i) == ',' || s.charAt(i) == ' ')) {
                i++;
            }
        }
    }

    /** The sum of every sample named {@code name} whose labels include all {@code labelPairs} (name, value, ...). */
    double sum(String name, String... labelPairs) {
        double total = 0;
        for (Sample s : samples) {
            if (s.name().equals(name) && matches(s.labels(), labelPairs)) {
                total += s.value();
            }
        }
        return total;
    }

    /**
     * An upper bound of the {@code q} quantile (0..1) of a Prometheus histogram {@code name} (its
     * {@code name_bucket} samples, {@code le} labels, cumulative counts): the smallest bucket bound
     * holding at least {@code q} of the observations. NaN when there are none.
     */
    double histogramQuantile(String name, double q) {
        java.util.TreeMap<Double, Double> buckets = new java.util.TreeMap<>();
        for (Sample s : samples) {
            if (s.name().equals(name + "_bucket") && s.labels().containsKey("le")) {
                buckets.merge(Double.parseDouble(s.labels().get("le").replace("+Inf", "Infinity")), s.value(),
                        Double::sum);
            }
        }
        double total = buckets.isEmpty() ? 0 : buckets.lastEntry().getValue();
        if (total == 0) {
            return Double.NaN;
        }
        for (Map.Entry<Double, Double> b : buckets.entrySet()) {
            if (b.getValue() >= q * total) {
                return b.getKey();
            }
        }
        return Double.POSITIVE_INFINITY;
    }

    /** Per value of {@code label}, the sum of the samples named {@code name}. */
    Map<String, Double> sumBy(String name, String label) {
        Map<String, Double> by = new LinkedHashMap<>();
        for (Sample s : samples) {
            if (s.name().equals(name) && s.labels().containsKey(label)) {
                by.merge(s.labels().get(label), s.value(), Double::sum);
            }
        }
        return by;
    }

    private static boolean matches(Map<String, String> labels, String[] pairs) {
        for (int i = 0; i + 1 < pairs.length; i += 2) {
            if (!pairs[i + 1].equals(labels.get(pairs[i]))) {
                return false;
            }
        }
        return true;
    }
}
