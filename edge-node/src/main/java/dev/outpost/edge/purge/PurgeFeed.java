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
 * Anything but a well-formed 200 is an {@link IOException} whose message says what was wrong.
 */
public final class PurgeFeed {

    /** One answer: the log's bounds and the entries after the requested sequence, in order. */
    public record Page(long first, long last, List<Entry> entries) {
    }

    /** One logged purge. */
    public record Entry(long sequence, PurgeCommand command) {
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
            PurgeCommand command;
            try {
                command = PurgeCommand.ofFeedEntry(e, keys);
            } catch (PurgeCommand.Invalid invalid) {
                throw new IOException(logUri + ": entries[" + i + "]." + invalid.getMessage());
            }
            if (command.sequence() <= previous) {
                throw new IOException(logUri + ": entries[" + i + "].sequence " + command.sequence()
                        + " is not above " + previous + " (entries must be ascending, after " + after + ")");
            }
            previous = command.sequence();
            entries.add(new Entry(command.sequence(), command));
        }
        return new Page(first, last, entries);
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
