package dev.outpost.purge.log;

import dev.outpost.purge.PurgeCommand;
import dev.outpost.purge.PurgeType;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * One purge in the durable log: what was asked, the sequence and id it was given, and when. Its JSON
 * form is the catch-up feed's entry (docs/purge-protocol.md) and also how it is stored.
 */
public record PurgeEntry(long sequence, String id, PurgeCommand command, Instant acceptedAt) {

    public PurgeEntry {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(command, "command");
        Objects.requireNonNull(acceptedAt, "acceptedAt");
    }

    /** {@code {"sequence", "id", "type", "values", "host", "soft", "acceptedAt"}}, host null when absent. */
    public JsonObject toJson() {
        return new JsonObject()
                .put("sequence", sequence)
                .put("id", id)
                .put("type", command.type().wire())
                .put("values", new JsonArray(List.copyOf(command.values())))
                .put("host", command.host())
                .put("soft", command.soft())
                .put("acceptedAt", acceptedAt.toString());
    }

    /**
     * The body of the edge's {@code POST /purge} (docs/purge-protocol.md): the purge plus its sequence and id;
     * {@code host} only when given.
     */
    public JsonObject toEdgePush() {
        JsonObject body = new JsonObject()
                .put("type", command.type().wire())
                .put("values", new JsonArray(List.copyOf(command.values())))
                .put("soft", command.soft());
        if (command.host() != null) {
            body.put("host", command.host());
        }
        return body.put("sequence", sequence).put("id", id);
    }

    static PurgeEntry fromJson(JsonObject json) {
        List<String> values = json.getJsonArray("values").stream().map(String.class::cast).toList();
        PurgeCommand command = new PurgeCommand(PurgeType.fromWire(json.getString("type")), values,
                json.getString("host"), json.getBoolean("soft"));
        return new PurgeEntry(json.getLong("sequence"), json.getString("id"), command,
                Instant.parse(json.getString("acceptedAt")));
    }
}
