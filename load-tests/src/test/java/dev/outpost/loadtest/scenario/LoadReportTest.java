package dev.outpost.loadtest.scenario;

import static org.junit.jupiter.api.Assertions.assertEquals;
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

        LoadReport.Series total = report.total();
        assertEquals(100, total.count());
        assertEquals(90.0, LoadReport.hitPercent(total), 1e-9);

        String table = report.table();
        assertTrue(table.contains("hit 90 (memory 90, disk 0)"), table);
        assertTrue(table.contains("Hit ratio (fresh and stale hits / measured responses): 90.00 %"), table);
        assertTrue(table.lines().anyMatch(l -> l.startsWith("all ") && l.contains(" 100 ")), table);
        assertTrue(table.lines().anyMatch(l -> l.startsWith("cold ") && l.matches(".* 1 +1 +0\\.00$")), table);
    }
}
