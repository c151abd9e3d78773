package dev.outpost.loadtest.scenario;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class PrometheusTextTest {

    private static final String METRICS = """
            # HELP outpost_requests_total Client requests
            # TYPE outpost_requests_total counter
            outpost_requests_total{cache="hit",tier="memory"} 120.0
            outpost_requests_total{cache="hit",tier="disk"} 30.0
            outpost_requests_total{cache="miss",tier="none"} 7.0
            outpost_origin_latency_seconds_count 7
            outpost_origin_latency_seconds_sum 0.0421
            odd_label{path="a \\"quoted\\", comma",x="1"} 2.5E1
            """;

    @Test
    void sumsByNameAndLabels() {
        PrometheusText text = PrometheusText.parse(METRICS);
        assertEquals(157.0, text.sum("outpost_requests_total"));
        assertEquals(150.0, text.sum("outpost_requests_total", "cache", "hit"));
        assertEquals(30.0, text.sum("outpost_requests_total", "cache", "hit", "tier", "disk"));
        assertEquals(7.0, text.sum("outpost_origin_latency_seconds_count"));
        assertEquals(0.0, text.sum("absent_metric"));
        assertEquals(Map.of("hit", 150.0, "miss", 7.0), text.sumBy("outpost_requests_total", "cache"));
    }

    @Test
    void labelValuesMayHoldEscapedQuotesAndCommas() {
        assertEquals(25.0, PrometheusText.parse(METRICS).sum("odd_label", "path", "a \"quoted\", comma", "x", "1"));
    }

    @Test
    void histogramQuantileIsTheFirstBucketBoundHoldingTheQuantile() {
        PrometheusText h = PrometheusText.parse("""
                disk_read_seconds_bucket{le="0.001"} 50
                disk_read_seconds_bucket{le="0.002"} 90
                disk_read_seconds_bucket{le="0.004"} 99
                disk_read_seconds_bucket{le="0.008"} 100
                disk_read_seconds_bucket{le="+Inf"} 100
                disk_read_seconds_count 100
                """);
        assertEquals(0.001, h.histogramQuantile("disk_read_seconds", 0.5));
        assertEquals(0.002, h.histogramQuantile("disk_read_seconds", 0.9));
        assertEquals(0.004, h.histogramQuantile("disk_read_seconds", 0.99));
        assertEquals(0.008, h.histogramQuantile("disk_read_seconds", 1.0));
        assertTrue(Double.isNaN(h.histogramQuantile("absent_seconds", 0.5)));
    }

    @Test
    void aLineWithoutAValueIsAnError() {
        assertThrows(IllegalArgumentException.class, () -> PrometheusText.parse("just_a_name"));
    }
}
