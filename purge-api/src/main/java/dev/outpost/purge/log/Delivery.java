package dev.outpost.purge.log;

import io.vertx.core.json.JsonObject;
import java.time.Instant;

/**
 * What the purge-api knows of one purge on one edge, as stored after each push attempt. Absent until the
 * first attempt ends; edges that applied a purge through their own catch-up have no record, only an ack
 * ({@link PurgeLog#recordAck}).
 *
 * @param status         where it stands
 * @param attempts       pushes tried so far
 * @param lastError      what the last failed attempt got (status and message, or the I/O error); null if none
 * @param firstAttemptAt when the first push started
 * @param lastAttemptAt  when the last push ended
 * @param appliedAt      when the edge answered that it applied it; null unless applied
 * @param gaveUp         failed because the edge could not be reached within {@code fanout.max-attempts} (pushed
 *                       again once it answers), rather than refused by it
 */
public record Delivery(Status status, int attempts, String lastError, Instant firstAttemptAt, Instant lastAttemptAt,
        Instant appliedAt, boolean gaveUp) {

    public Delivery(Status status, int attempts, String lastError, Instant firstAttemptAt, Instant lastAttemptAt,
            Instant appliedAt) {
        this(status, attempts, lastError, firstAttemptAt, lastAttemptAt, appliedAt, false);
    }

    /** Per-edge state of one purge ({@code GET /v1/purges/{id}}). */
    public enum Status {
        PENDING, APPLIED, FAILED;

        public String wire() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    JsonObject toJson() {
        return new JsonObject()
                .put("status", status.name())
                .put("attempts", attempts)
                .put("lastError", lastError)
                .put("firstAttemptAt", firstAttemptAt == null ? null : firstAttemptAt.toEpochMilli())
                .put("lastAttemptAt", lastAttemptAt == null ? null : lastAttemptAt.toEpochMilli())
                .put("appliedAt", appliedAt == null ? null : appliedAt.toEpochMilli())
                .put("gaveUp", gaveUp);
    }

    static Delivery fromJson(JsonObject json) {
        return new Delivery(Status.valueOf(json.getString("status")), json.getInteger("attempts"),
                json.getString("lastError"), instant(json, "firstAttemptAt"), instant(json, "lastAttemptAt"),
                instant(json, "appliedAt"), json.getBoolean("gaveUp", false));
    }

    private static Instant instant(JsonObject json, String key) {
        Long millis = json.getLong(key);
        return millis == null ? null : Instant.ofEpochMilli(millis);
    }
}
