package dev.outpost.purge;

import dev.outpost.purge.log.Delivery;
import dev.outpost.purge.log.PurgeLog;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;

/**
 * The body of {@code GET /v1/purges/{id}}: the purge and one status per configured edge, derived from what the
 * log stores (ARCHITECTURE §5). Per edge:
 * <ul>
 * <li>{@code applied}: the edge answered a push of it with 200, or an ack of the edge (a push's or a probe's
 *     {@code lastApplied}) covers it, in which case the edge got it through its own catch-up
 *     ({@code "via": "catch-up"}); {@code appliedAt} is when the purge-api learned it.</li>
 * <li>{@code failed}: the edge refused it (a 4xx: never pushed again), or could not be reached within
 *     {@code fanout.max-attempts} (pushed again once it answers); an edge that catches up from the log gets it
 *     from there, and then it turns {@code applied}.</li>
 * <li>{@code pending}: not applied yet, with the attempts so far and the last error.</li>
 * </ul>
 * The purge's own status: {@code applied} on every edge, else {@code pending} while any edge is pending, else
 * {@code failed}.
 */
public final class PurgeStatus {

    static final String FAILED_NOTE = "refused by the edge; it is not pushed again (an edge catching up from the log "
            + "gets it from there)";
    static final String GAVE_UP_NOTE = "the edge could not be reached within fanout.max-attempts; pushed again once it "
            + "answers, and it gets it from the log (GET /v1/log) if it catches up first";
    static final String CATCH_UP_NOTE = "applied through the edge's own catch-up from the log";

    private PurgeStatus() {
    }

    /** The overall status from what the edges lack: none lacking, some still pending, or only failures. */
    public static String overall(boolean anyLagging, boolean anyPending) {
        return !anyLagging ? "applied" : anyPending ? "pending" : "failed";
    }

    public static JsonObject render(PurgeLog.Record record, List<String> edgeIds) {
        JsonObject out = record.entry().toJson();
        JsonArray edges = new JsonArray();
        boolean lagging = false;
        boolean pending = false;
        for (String edge : edgeIds) {
            JsonObject e = edge(edge, record.deliveries().get(edge), record.ackedAt().get(edge));
            String status = e.getString("status");
            lagging |= !status.equals("applied");
            pending |= status.equals("pending");
            edges.add(e);
        }
        return out.put("status", overall(lagging, pending)).put("edges", edges);
    }

    static JsonObject edge(String edge, Delivery delivery, Instant ackedAt) {
        JsonObject e = new JsonObject().put("edge", edge);
        Delivery.Status status;
        Instant appliedAt = null;
        String via = null;
        String note = null;
        if (delivery != null && delivery.status() == Delivery.Status.APPLIED) {
            status = Delivery.Status.APPLIED;
            appliedAt = delivery.appliedAt();
            via = "push";
        } else if (ackedAt != null) {
            status = Delivery.Status.APPLIED;
            appliedAt = ackedAt;
            via = "catch-up";
            note = CATCH_UP_NOTE;
        } else if (delivery != null && delivery.status() == Delivery.Status.FAILED) {
            status = Delivery.Status.FAILED;
            note = delivery.gaveUp() ? GAVE_UP_NOTE : FAILED_NOTE;
        } else {
            status = Delivery.Status.PENDING;
        }
        return e.put("status", status.wire())
                .put("attempts", delivery == null ? 0 : delivery.attempts())
                .put("lastError", delivery == null ? null : delivery.lastError())
                .put("firstAttemptAt", time(delivery == null ? null : delivery.firstAttemptAt()))
                .put("lastAttemptAt", time(delivery == null ? null : delivery.lastAttemptAt()))
                .put("appliedAt", time(appliedAt))
                .put("via", via)
                .put("note", note);
    }

    private static String time(Instant instant) {
        return instant == null ? null : instant.toString();
    }
}
