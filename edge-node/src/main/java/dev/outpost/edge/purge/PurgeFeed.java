package dev.outpost.edge.purge;

import dev.outpost.edge.cache.CacheKeyPolicy;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The client of the purge-api's catch-up feed (docs/purge-protocol.md): {@code GET {api-url}/v1/log
 * ?after=N&limit=M} with the bearer {@code purge.api-token}. Blocking (the JDK HTTP client, with connect
 * and request timeouts): it is only called on the sequencer's own thread, never on an event loop.
 * Anything but a well-formed 200 is an {@link IOException} whose message says what was wrong, with one
 * exception: an entry in its place in the sequence whose purge this edge cannot read (a type from a newer
 * purge-api, a value this edge's key policy refuses) is returned as {@link Entry#unreadable()}, so the
 * sequencer can account for it instead of stopping at it forever.
 */
public final class PurgeFeed {

    /** One answer: the log's bounds and the entries after the requested sequence, in order. */
    public record Page(long first, long last, List<Entry> entries) {
    }

    /**
     * One logged purge: {@code command} is null when this edge cannot read it, and {@code unreadable} says
     * why (the field and the problem).
     */
    public record Entry(long sequence, PurgeCommand command, String unreadable) {

        static Entry of(PurgeCommand command) {
            return new Entry(command.sequence(), command, null);
        }
    }

    private final URI logUri;
    private final String token;
    private final CacheKeyPolicy keys;
    private final Duration requestTimeout;
    private final HttpClient http;

    public PurgeFeed(URI apiUrl, String token, CacheKeyPolicy keys, Duration connectTimeout, Duration requestTimeout) {
        String base = apiUrl.toString();
        this.logUri = URI.create((base.endsWith("/") ? base : base + "/") + "v1/log");
        this.token = token;
        this.keys = keys;
        this.requestTimeout = requestTimeout;
        this.http = HttpClient.newBuilder().connectTimeout(connectTimeout).version(HttpClient.Version.HTTP_1_1)
                .build();
    }

    /** Where the feed is read from, for logs and readiness reasons. */
    public URI uri() {
        return logUri;
    }

    /** Reads the entries after {@code after}, at most {@code limit} (0: the bounds only). */
    public Page read(long after, int limit) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create(logUri + "?after=" + after + "&limit=" + limit))
                .timeout(requestTimeout)
                .header("Authorization", "Bearer " + token)
                .header("Accept", "application/json")
                .GET().build();
        HttpResponse<String> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IOException(logUri + " cannot be read: " + describe(e), e);
        }
        if (response.statusCode() != 200) {
            String body = response.body() == null ? "" : response.body().strip();
            throw new IOException(logUri + " answered " + response.statusCode()
                    + (body.isEmpty() ? "" : ": " + (body.length() > 200 ? body.substring(0, 200) + "..." : body)));
        }
        return parse(response.body(), after);
    }

    private Page parse(String body, long after) throws IOException {
        JsonObject json;
        try {
            json = new JsonObject(body);
        } catch (DecodeException | ClassCastException e) {
            throw new IOException(logUri + " answered 200 with a body that is not a JSON object");
        }
        long first = number(json, "first");
        long last = number(json, "last");
        Object rawEntries = json.getValue("entries");
        if (!(rawEntries instanceof JsonArray array)) {
            throw new IOException(logUri + ": entries must be an array");
        }
        List<Entry> entries = new ArrayList<>(array.size());
        long previous = after;
        for (int i = 0; i < array.size(); i++) {
            if (!(array.getValue(i) instanceof JsonObject e)) {
                throw new IOException(logUri + ": entries[" + i + "] must be an object");
            }
            Entry entry = entry(e, i);
            if (entry.sequence() <= previous) {
                throw new IOException(logUri + ": entries[" + i + "].sequence " + entry.sequence()
                        + " is not above " + previous + " (entries must be ascending, after " + after + ")");
            }
            previous = entry.sequence();
            entries.add(entry);
        }
        return new Page(first, last, entries);
    }

    /**
     * An entry whose sequence cannot be read is a malformed page (where would it go?); one whose purge
     * cannot be read is an unreadable entry at its sequence.
     */
    private Entry entry(JsonObject e, int i) throws IOException {
        try {
            return Entry.of(PurgeCommand.ofFeedEntry(e, keys));
        } catch (PurgeCommand.Invalid invalid) {
            Object sequence = e.getValue("sequence");
            if (!(sequence instanceof Integer || sequence instanceof Long) || ((Number) sequence).longValue() < 1) {
                throw new IOException(logUri + ": entries[" + i + "]." + invalid.getMessage());
            }
            return new Entry(((Number) sequence).longValue(), null, invalid.getMessage());
        }
    }

    private long number(JsonObject json, String field) throws IOException {
        Object v = json.getValue(field);
        if (!(v instanceof Integer || v instanceof Long) || ((Number) v).longValue() < 0) {
            throw new IOException(logUri + ": " + field + " must be a non-negative integer");
        }
        return ((Number) v).longValue();
    }

    private static String describe(IOException e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null || m.isBlank() ? "" : " (" + m + ")");
    }
}
