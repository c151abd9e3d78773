package dev.outpost.purge.fanout;

import dev.outpost.config.EdgeTargetConfig;
import dev.outpost.purge.log.PurgeEntry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.time.Duration;

/**
 * The purge-api's side of the edge admin protocol (docs/purge-protocol.md): {@code POST /purge} with a
 * sequence and {@code GET /purge/state}, each with the edge's bearer token and {@code fanout.timeout} (for
 * connecting, and for the answer: the edge answers a push once the purge is applied). Keep-alive connections,
 * at most two per edge (one push and one probe at a time). Answers are classified into {@link EdgeAnswer}s;
 * this class never throws or fails its futures.
 */
public final class EdgeClient implements AutoCloseable {

    /** The edge's {@code GET /purge/state}. */
    public record EdgeState(String node, long lastApplied, boolean caughtUp) {
    }

    /** A probe's outcome: the state when the edge answered 200, else the classified failure. */
    public record Probe(EdgeState state, EdgeAnswer failure) {
    }

    private final HttpClient http;
    private final long timeoutMillis;

    public EdgeClient(Vertx vertx, Duration timeout) {
        this.timeoutMillis = Math.max(1, timeout.toMillis());
        this.http = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true)
                .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, timeoutMillis)), new PoolOptions().setHttp1MaxSize(2));
    }

    /** Pushes one purge; completes on the caller's Vert.x context. */
    public Future<EdgeAnswer> push(EdgeTargetConfig edge, PurgeEntry entry) {
        Buffer body = entry.toEdgePush().toBuffer();
        try {
            return http.request(options(edge, HttpMethod.POST, "/purge")
                            .putHeader("Content-Type", "application/json"))
                    .compose(request -> request.send(body))
                    .compose(response -> response.body().map(b -> pushAnswer(response, b)))
                    .recover(e -> Future.succeededFuture(EdgeAnswer.noAnswer(e)));
        } catch (RuntimeException closed) {
            return Future.succeededFuture(EdgeAnswer.noAnswer(closed));
        }
    }

    /** Reads the edge's purge state; completes on the caller's Vert.x context. */
    public Future<Probe> probe(EdgeTargetConfig edge) {
        try {
            return http.request(options(edge, HttpMethod.GET, "/purge/state"))
                    .compose(request -> request.send())
                    .compose(response -> response.body().map(b -> probeAnswer(response, b)))
                    .recover(e -> Future.succeededFuture(new Probe(null, EdgeAnswer.noAnswer(e))));
        } catch (RuntimeException closed) {
            return Future.succeededFuture(new Probe(null, EdgeAnswer.noAnswer(closed)));
        }
    }

    private RequestOptions options(EdgeTargetConfig edge, HttpMethod method, String path) {
        String base = edge.adminUrl().toString();
        String url = (base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + path;
        return new RequestOptions().setMethod(method).setAbsoluteURI(url)
                .setConnectTimeout(timeoutMillis).setIdleTimeout(timeoutMillis)
                .putHeader("Authorization", "Bearer " + edge.token());
    }

    static EdgeAnswer pushAnswer(HttpClientResponse response, Buffer body) {
        int status = response.statusCode();
        EdgeAnswer.Kind kind = EdgeAnswer.classify(status);
        if (kind != EdgeAnswer.Kind.APPLIED) {
            return new EdgeAnswer(kind, status, -1, "HTTP " + status + errorOf(body));
        }
        JsonObject json = json(body);
        Object lastApplied = json == null ? null : json.getValue("lastApplied");
        return new EdgeAnswer(kind, status, lastApplied instanceof Number n ? n.longValue() : -1, null);
    }

    static Probe probeAnswer(HttpClientResponse response, Buffer body) {
        int status = response.statusCode();
        EdgeAnswer.Kind kind = EdgeAnswer.classify(status);
        if (kind != EdgeAnswer.Kind.APPLIED) {
            return new Probe(null, new EdgeAnswer(kind, status, -1, "HTTP " + status + errorOf(body)));
        }
        JsonObject json = json(body);
        if (json == null || !(json.getValue("lastApplied") instanceof Number lastApplied)) {
            return new Probe(null, new EdgeAnswer(EdgeAnswer.Kind.PERMANENT, status, -1,
                    "GET /purge/state answered without a lastApplied: not an edge that speaks the purge protocol"));
        }
        return new Probe(new EdgeState(json.getString("node"), lastApplied.longValue(),
                Boolean.TRUE.equals(json.getValue("caughtUp"))), null);
    }

    private static JsonObject json(Buffer body) {
        try {
            return body.length() == 0 ? null : new JsonObject(body);
        } catch (DecodeException | ClassCastException e) {
            return null;
        }
    }

    /** {@code : <error>} from an edge's {@code {"error"}} body, or a short excerpt of another body. */
    private static String errorOf(Buffer body) {
        JsonObject json = json(body);
        String text = json != null && json.getValue("error") instanceof String e ? e : body.toString();
        text = text.strip();
        if (text.length() > 300) {
            text = text.substring(0, 300) + "...";
        }
        return text.isEmpty() ? "" : ": " + text;
    }

    @Override
    public void close() {
        http.close();
    }
}
