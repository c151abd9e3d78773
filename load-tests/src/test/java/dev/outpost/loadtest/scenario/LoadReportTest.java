package dev.outpost.loadtest.scenario;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LoadReportTest {

    @Test
    void talliesOutcomesStatusesAndLatencyPerRequestName() {
        LoadReport report = new LoadReport();
        for (int i = 0; i < 90; i++) {
            report.record("hot", 200, 2, "e;hit;detail=memory");
        }
        for (int i = 0; i < 8; i++) {
            report.record("hot", 200, 40, "e;fwd=uri-miss;fwd-status=200;stored");
        }
        report.record("cold", 503, 7, "e;fwd=uri-miss;fwd-status=503");
        report.record("cold", null, null, null);
        report.record("purge", 202, 30, null); // not through the edge: no Cache-Status

        LoadReport.Series hot = report.series("hot");
        assertEquals(98, hot.count());
        assertEquals(90, hot.outcome(CacheOutcome.HIT_MEMORY));
        assertEquals(8, hot.outcome(CacheOutcome.MISS));
        assertEquals(98, hot.status(200));
        assertEquals(2, hot.latency().getValueAtPercentile(50));
        assertEquals(40, hot.latency().getMaxValue());
        assertEquals(100.0 * 90 / 98, LoadReport.hitPercent(hot), 1e-9);

        LoadReport.Series cold = report.series("cold");
        assertEquals(1, cold.noResponse());
        assertEquals(1, cold.status(503));
        assertEquals(1, cold.outcome(CacheOutcome.NONE));

        assertEquals(101, report.total().count());
        LoadReport.Series throughEdge = report.throughEdge();
        assertEquals(100, throughEdge.count());
        assertEquals(90.0, LoadReport.hitPercent(throughEdge), 1e-9);
        assertFalse(report.series("purge").throughEdge());

        String table = report.table();
        assertTrue(table.contains("100 measured responses through the edge: hit 90 (memory 90, disk 0)"), table);
        assertTrue(table.contains("Hit ratio (fresh and stale hits / those responses): 90.00 %"), table);
        assertTrue(table.lines().anyMatch(l -> l.startsWith("all ") && l.contains(" 101 ")), table);
        assertTrue(table.lines().anyMatch(l -> l.startsWith("cold ") && l.matches(".* 1 +1 +0\\.00$")), table);
        assertTrue(table.lines().anyMatch(l -> l.startsWith("purge ") && l.endsWith(" -")), table);
    }
}
