package dev.outpost.edge.purge;

import dev.outpost.edge.cache.CacheKeyPolicy;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Locale;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The purge endpoints of the edge's admin port (docs/purge-protocol.md, ARCHITECTURE §4, §5), both behind
 * the bearer {@code admin.token}:
 * <ul>
 * <li>{@code POST /purge}: one purge ({@link PurgeCommand} has the body and its rules), applied through
 *     the {@link PurgeSequencer} (in sequence order, idempotent), answered
 *     {@code 200 {"purged": N, "sequence": S|null, "lastApplied": L}} once applied to every tier.</li>
 * <li>{@code GET /purge/state}: {@code 200 {"node", "lastApplied", "caughtUp"}}, which purge-api polls.</li>
 * </ul>
 * Answers: 401 without a bearer token, 403 with a wrong one or when {@code admin.token} is not
 * configured (the endpoints are then disabled), 415 for a body that is not JSON by its content type,
 * 413 over {@link #MAX_BODY_BYTES}, 400 naming the offending field for anything else malformed, 503 while
 * the edge shuts down, 500 when storage failed. The contract is {@code admin-openapi.yaml}.
 */
public final class PurgeEndpoint {

    private static final Logger LOG = LoggerFactory.getLogger(PurgeEndpoint.class);

    public static final String PATH = "/purge";
    public static final String STATE_PATH = "/purge/state";
    public static final long MAX_BODY_BYTES = 1 << 20;

    private final PurgeSequencer sequencer;
    private final CacheKeyPolicy keys;
    private final String nodeId;
    private final byte[] token;
    private final Counter rejected;

    /**
     * {@code token} null disables the endpoints (every request gets 403 saying so). Metric:
     * {@code outpost.purges.rejected}; the sequencer counts what is applied.
     */
    public PurgeEndpoint(PurgeSequencer sequencer, CacheKeyPolicy keys, String nodeId, String token,
            MeterRegistry registry) {
        this.sequencer = sequencer;
        this.keys = keys;
        this.nodeId = nodeId;
        this.token = token == null || token.isEmpty() ? null : token.getBytes(StandardCharsets.UTF_8);
        this.rejected = Counter.builder("outpost.purges.rejected")
                .description("Purge requests refused (authentication, content type, size, malformed)")
                .register(registry);
    }

    public void mount(Router router) {
        router.get(STATE_PATH)
                .handler(this::authorise)
                .handler(this::state);
        router.post(PATH)
                .handler(this::authorise)
                .handler(this::checkContentType)
                .handler(this::readBody);
    }

    private void state(RoutingContext ctx) {
        ctx.response().setStatusCode(200).putHeader("Content-Type", "application/json")
                .end(new JsonObject().put("node", nodeId).put("lastApplied", sequencer.lastApplied())
                        .put("caughtUp", sequencer.caughtUp()).encode());
    }

    private void authorise(RoutingContext ctx) {
        if (token == null) {
            error(ctx, 403, "purge is disabled on this edge: admin.token is not configured");
            return;
        }
        String auth = ctx.request().getHeader("Authorization");
        if (auth == null || !auth.regionMatches(true, 0, "Bearer ", 0, 7) || auth.substring(7).isBlank()) {
            ctx.response().putHeader("WWW-Authenticate", "Bearer");
            error(ctx, 401, "a bearer token is required (Authorization: Bearer <admin.token>)");
            return;
        }
        byte[] given = auth.substring(7).trim().getBytes(StandardCharsets.UTF_8);
        if (!MessageDigest.isEqual(given, token)) {
            error(ctx, 403, "the bearer token is not valid for this edge");
            return;
        }
        ctx.next();
    }

    private void checkContentType(RoutingContext ctx) {
        String type = ctx.request().getHeader("Content-Type");
        String media = type == null ? "" : type.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
        if (!media.equals("application/json") && !(media.startsWith("application/") && media.endsWith("+json"))) {
            error(ctx, 415, "Content-Type must be application/json");
            return;
        }
        String length = ctx.request().getHeader("Content-Length");
        if (length != null) {
            try {
                if (Long.parseLong(length.trim()) > MAX_BODY_BYTES) {
                    ctx.response().putHeader("Connection", "close"); // the body is not read
                    error(ctx, 413, "body is larger than " + MAX_BODY_BYTES + " bytes");
                    return;
                }
            } catch (NumberFormatException e) {
                error(ctx, 400, "Content-Length is not a number");
                return;
            }
        }
        ctx.next();
    }

    /**
     * Reads the body up to {@link #MAX_BODY_BYTES} (a chunked body over it gets 413 and the connection
     * closed). Done here rather than with vertx-web's BodyHandler, which must run before every user
     * handler, i.e. before the token check.
     */
    private void readBody(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        Buffer body = Buffer.buffer();
        boolean[] over = {false};
        request.handler(chunk -> {
            if (over[0]) {
                return;
            }
            if (body.length() + chunk.length() > MAX_BODY_BYTES) {
                over[0] = true;
                ctx.response().putHeader("Connection", "close");
                error(ctx, 413, "body is larger than " + MAX_BODY_BYTES + " bytes");
                return;
            }
            body.appendBuffer(chunk);
        });
        request.exceptionHandler(e -> {
            over[0] = true;
            LOG.debug("purge request failed while reading its body: {}", e.toString());
        });
        request.endHandler(v -> {
            if (!over[0]) {
                handle(ctx, body.toString(StandardCharsets.UTF_8));
            }
        });
        request.resume();
    }

    private void handle(RoutingContext ctx, String body) {
        PurgeCommand command;
        try {
            command = parse(body);
        } catch (PurgeCommand.Invalid e) {
            error(ctx, 400, e.getMessage());
            return;
        }
        Context context = Vertx.currentContext();
        sequencer.submit(command).whenComplete((applied, err) -> context.runOnContext(v -> {
            if (err != null) {
                Throwable cause = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
                if (cause instanceof RejectedExecutionException) {
                    error(ctx, 503, "the edge is shutting down: purge not applied");
                    return;
                }
                LOG.warn("purge {} failed: {}", command, cause.toString());
                error(ctx, 500, "purge failed: " + cause.getMessage());
                return;
            }
            ctx.response().setStatusCode(200).putHeader("Content-Type", "application/json")
                    .end(new JsonObject().put("purged", applied.purged()).put("sequence", applied.sequence())
                            .put("lastApplied", applied.lastApplied()).encode());
        }));
    }

    /** The purge a body asks for; throws naming the field. */
    PurgeCommand parse(String body) throws PurgeCommand.Invalid {
        if (body == null || body.isBlank()) {
            throw new PurgeCommand.Invalid("body: a JSON object is required");
        }
        Object parsed;
        try {
            parsed = io.vertx.core.json.Json.decodeValue(body);
        } catch (DecodeException e) {
            throw new PurgeCommand.Invalid("body: not valid JSON");
        }
        if (!(parsed instanceof JsonObject json)) {
            throw new PurgeCommand.Invalid("body: must be a JSON object");
        }
        return PurgeCommand.ofPush(json, keys);
    }

    private void error(RoutingContext ctx, int status, String message) {
        if (ctx.response().ended()) {
            return;
        }
        if (status < 500) {
            rejected.increment();
        }
        ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
                .end(new JsonObject().put("error", message).encode());
    }
}
