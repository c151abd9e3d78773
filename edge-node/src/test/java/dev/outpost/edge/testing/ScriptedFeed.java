package dev.outpost.edge.testing;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.WireMock;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * A stand-in for purge-api's catch-up feed (docs/purge-protocol.md, {@code GET /v1/log}) on WireMock:
 * the test scripts the log (its bounds and entries) and the feed answers every {@code after=N} with the
 * entries above N, at most {@code pageSize} of them, as purge-api does. Requests without the bearer
 * token get 401. WireMock is a stand-in here, not our component.
 */
public final class ScriptedFeed implements AutoCloseable {

    public static final String TOKEN = "feed-token";

    private final WireMockServer server;
    private long first;
    private long last;
    private final List<JsonObject> entries = new ArrayList<>();
    private int pageSize;

    public ScriptedFeed() {
        server = new WireMockServer(wireMockConfig().dynamicPort().bindAddress("127.0.0.1").containerThreads(16)
                .jettyAcceptors(1));
        server.start();
        log(1, 0, List.of(), 1000);
    }

    /** The value for {@code purge.api-url}. */
    public String url() {
        return "http://127.0.0.1:" + server.port();
    }

    /** A config {@code purge} section using this feed. */
    public String purgeYaml(String extra) {
        return "purge:\n  api-url: " + url() + "\n  api-token: " + TOKEN + "\n" + extra;
    }

    /** One log entry of type url (soft or hard) for {@code http://site.example{path}}. */
    public static JsonObject urlEntry(long sequence, String path, boolean soft) {
        return entry(sequence, "url", soft, "http://site.example" + path);
    }

    public static JsonObject entry(long sequence, String type, boolean soft, String... values) {
        JsonObject e = new JsonObject().put("sequence", sequence).put("id", "p-" + sequence).put("type", type)
                .put("host", null).put("soft", soft).put("acceptedAt", "2026-11-26T10:00:00Z");
        if (values.length > 0) {
            e.put("values", new JsonArray(List.of((Object[]) values)));
        }
        return e;
    }

    /**
     * The log holds {@code first..last} (entries: those of them the test cares about; sequences in
     * between that are missing answer as holes). Every {@code after} from 0 to {@code last + 5} is
     * answered with the entries above it, at most {@code pageSize}; {@code limit=0} with the bounds only.
     */
    public void log(long first, long last, List<JsonObject> entries, int pageSize) {
        this.first = first;
        this.last = last;
        this.pageSize = pageSize;
        if (entries != this.entries) {
            this.entries.clear();
            this.entries.addAll(entries);
        }
        server.resetAll();
        server.stubFor(WireMock.get(urlPathEqualTo("/v1/log")).atPriority(1)
                .withHeader("Authorization", WireMock.absent())
                .willReturn(aResponse().withStatus(401).withBody("{\"error\":\"token required\"}")));
        for (long after = 0; after <= last + 5; after++) {
            List<Object> page = new ArrayList<>();
            for (JsonObject e : entries) {
                if (e.getLong("sequence") > after && page.size() < pageSize) {
                    page.add(e);
                }
            }
            server.stubFor(WireMock.get(urlPathEqualTo("/v1/log")).atPriority(5)
                    .withQueryParam("after", equalTo(Long.toString(after)))
                    .withHeader("Authorization", equalTo("Bearer " + TOKEN))
                    .willReturn(json(first, last, page)));
        }
        server.stubFor(WireMock.get(urlPathEqualTo("/v1/log")).atPriority(2)
                .withQueryParam("limit", equalTo("0"))
                .withHeader("Authorization", equalTo("Bearer " + TOKEN))
                .willReturn(json(first, last, List.of())));
    }

    private static com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder json(long first, long last,
            List<Object> entries) {
        return aResponse().withStatus(200).withHeader("Content-Type", "application/json")
                .withBody(new JsonObject().put("first", first).put("last", last).put("entries", new JsonArray(entries))
                        .encode());
    }

    /**
     * Logs one more purge, as purge-api does before it pushes it: the log's last becomes its sequence.
     * Keeps the script consistent with what a test pushes, so the edge's polling never sees a log that
     * ends before what it applied.
     */
    public void append(JsonObject entry) {
        entries.add(entry);
        log(first, entry.getLong("sequence"), entries, pageSize);
    }

    /** The log's last sequence as scripted. */
    public long last() {
        return last;
    }

    /** Every request answers {@code status} from now on (the feed is down). */
    public void down(int status) {
        server.resetAll();
        server.stubFor(WireMock.get(urlPathEqualTo("/v1/log")).atPriority(1)
                .willReturn(aResponse().withStatus(status).withBody("{\"error\":\"unavailable\"}")));
    }

    /** The {@code after} values the feed was asked for, in order. */
    public List<String> afters() {
        List<String> out = new ArrayList<>();
        for (LoggedRequest r : server.findAll(WireMock.getRequestedFor(urlPathEqualTo("/v1/log")))) {
            out.add(r.queryParameter("after").isPresent() ? r.queryParameter("after").firstValue() : "?");
        }
        return out;
    }

    /** The {@code limit} values the feed was asked for, in order. */
    public List<String> limits() {
        List<String> out = new ArrayList<>();
        for (LoggedRequest r : server.findAll(WireMock.getRequestedFor(urlPathEqualTo("/v1/log")))) {
            out.add(r.queryParameter("limit").isPresent() ? r.queryParameter("limit").firstValue() : "?");
        }
        return out;
    }

    public int requests() {
        return server.findAll(WireMock.getRequestedFor(urlPathEqualTo("/v1/log"))).size();
    }

    /** Stops the feed: connections are refused from now on. */
    public void stop() {
        server.stop();
    }

    @Override
    public void close() {
        server.stop();
    }
}
