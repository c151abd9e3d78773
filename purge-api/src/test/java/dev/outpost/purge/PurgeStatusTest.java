package dev.outpost.purge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.outpost.purge.log.Delivery;
import dev.outpost.purge.log.Delivery.Status;
import dev.outpost.purge.log.PurgeEntry;
import dev.outpost.purge.log.PurgeLog;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How GET /v1/purges/{id} derives each edge's status from the stored deliveries and acks. */
class PurgeStatusTest {

    private static final Instant T0 = Instant.parse("2026-11-26T10:00:00Z");
    private static final Instant T1 = T0.plusSeconds(1);
    private static final Instant T2 = T0.plusSeconds(2);

    @Test
    void pushedAndAppliedShowsAttemptsAndTimes() {
        JsonObject e = PurgeStatus.edge("a", new Delivery(Status.APPLIED, 3, "HTTP 503", T0, T1, T1), T2);
        assertEquals("applied", e.getString("status"));
        assertEquals(3, e.getInteger("attempts"));
        assertEquals("HTTP 503", e.getString("lastError"));
        assertEquals(T1.toString(), e.getString("appliedAt"));
        assertEquals("push", e.getString("via"));
    }

    @Test
    void anAckCoveringItMeansAppliedThroughCatchUpEvenAfterFailure() {
        JsonObject e = PurgeStatus.edge("a", new Delivery(Status.FAILED, 5, "connection refused", T0, T1, null), T2);
        assertEquals("applied", e.getString("status"));
        assertEquals("catch-up", e.getString("via"));
        assertEquals(T2.toString(), e.getString("appliedAt"));
        assertEquals(5, e.getInteger("attempts"));
        JsonObject neverPushed = PurgeStatus.edge("b", null, T2);
        assertEquals("applied", neverPushed.getString("status"));
        assertEquals(0, neverPushed.getInteger("attempts"));
    }

    @Test
    void failedSaysTheEdgeCatchesUp() {
        JsonObject refused = PurgeStatus.edge("a", new Delivery(Status.FAILED, 1, "HTTP 400", T0, T1, null), null);
        assertEquals("failed", refused.getString("status"));
        assertEquals(PurgeStatus.FAILED_NOTE, refused.getString("note"));
        JsonObject unreachable = PurgeStatus.edge("a", new Delivery(Status.FAILED, 5, "connection refused", T0, T1,
                null, true), null);
        assertEquals("failed", unreachable.getString("status"));
        assertEquals(PurgeStatus.GAVE_UP_NOTE, unreachable.getString("note"));
    }

    @Test
    void pendingWithOrWithoutAttempts() {
        assertEquals("pending", PurgeStatus.edge("a", null, null).getString("status"));
        JsonObject retrying = PurgeStatus.edge("a", new Delivery(Status.PENDING, 2, "HTTP 500", T0, T1, null), null);
        assertEquals("pending", retrying.getString("status"));
        assertEquals(2, retrying.getInteger("attempts"));
        assertNull(retrying.getString("appliedAt"));
    }

    @Test
    void overallStatus() {
        PurgeEntry entry = new PurgeEntry(7, "id-7", new PurgeCommand(PurgeType.ALL, List.of(), null, false), T0);
        Delivery failed = new Delivery(Status.FAILED, 1, "HTTP 400", T0, T0, null);
        Delivery applied = new Delivery(Status.APPLIED, 1, null, T0, T0, T0);
        assertEquals("applied", status(entry, Map.of("a", applied), Map.of("b", T1)));
        assertEquals("pending", status(entry, Map.of("a", failed), Map.of()));
        assertEquals("failed", status(entry, Map.of("a", failed), Map.of("b", T1)));
        JsonObject out = PurgeStatus.render(new PurgeLog.Record(entry, Map.of(), Map.of()), List.of("a", "b"));
        assertEquals(7, out.getLong("sequence"));
        assertEquals(2, out.getJsonArray("edges").size());
        assertEquals("a", out.getJsonArray("edges").getJsonObject(0).getString("edge"));
    }

    private static String status(PurgeEntry entry, Map<String, Delivery> deliveries, Map<String, Instant> acks) {
        return PurgeStatus.render(new PurgeLog.Record(entry, deliveries, acks), List.of("a", "b")).getString("status");
    }
}
