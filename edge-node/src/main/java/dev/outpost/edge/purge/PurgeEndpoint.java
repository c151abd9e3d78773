package dev.outpost.edge.purge;

import dev.outpost.edge.cache.CacheKey;
import dev.outpost.edge.cache.CacheKeyPolicy;
import dev.outpost.edge.cache.Purge;
import dev.outpost.edge.storage.CacheStorage;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /purge} on the edge's admin port (ARCHITECTURE §4, §5): applies one purge to this
 * edge's storage (both tiers) and answers {@code 200 {"purged": N}} once it is applied.
 *
 * <p>Body: {@code {"type": "url"|"prefix"|"tag"|"all", "values": [...], "host": "...", "soft": false}}
 * — url values are absolute URLs (the scheme does not narrow the match), prefix values absolute URL
 * prefixes ({@code http://site.example/images/} is host {@code site.example}, path prefix
 * {@code /images/}), tag values tag names (narrowed by {@code host} when given), and {@code all} takes
 * no values (narrowed by {@code host} when given). {@code host} given with url or prefix must match
 * the host of every value.
 *
 * <p>Answers: 401 without a bearer token, 403 with a wrong one or when {@code admin.token} is not
 * configured (the endpoint is then disabled), 415 for a body that is not JSON by its content type,
 * 413 over {@link #MAX_BODY_BYTES}, 400 naming the offending field for anything else malformed, 500
 * when storage failed.
 */
public final class PurgeEndpoint {

    private static final Logger LOG = LoggerFactory.getLogger(PurgeEndpoint.class);

    public static final String PATH = "/purge";
    public static final long MAX_BODY_BYTES = 1 << 20;
    public static final int MAX_VALUES = 1000;
    private static final int MAX_VALUE_LENGTH = 8192;
    private static final Set<String> TYPES = Set.of("url", "prefix", "tag", "all");
    private static final Set<String> FIELDS = Set.of("type", "values", "host", "soft");

    private final CacheStorage storage;
    private final CacheKeyPolicy keys;
    private final byte[] token;
    private final MeterRegistry registry;
    private final Counter rejected;
    private final Counter purgedObjects;
    private final Timer duration;

    /**
     * {@code token} null disables the endpoint (every request gets 403 saying so). Metrics:
     * {@code outpost.purges} (by type and soft), {@code outpost.purges.rejected},
     * {@code outpost.purged.objects}, {@code outpost.purge.duration}.
     */
    public PurgeEndpoint(CacheStorage storage, CacheKeyPolicy keys, String token, MeterRegistry registry) {
        this.storage = storage;
        this.keys = keys;
        this.token = token == null || token.isEmpty() ? null : token.getBytes(StandardCharsets.UTF_8);
        this.registry = registry;
        this.rejected = Counter.builder("outpost.purges.rejected")
                .description("Purge requests refused (authentication, content type, size, malformed)")
                .register(registry);
        this.purgedObjects = Counter.builder("outpost.purged.objects")
                .description("Stored variants removed or invalidated by purges").register(registry);
        this.duration = Timer.builder("outpost.purge.duration")
                .description("Time to apply one purge request to storage").register(registry);
    }

    public void mount(Router router) {
        router.post(PATH)
                .handler(this::authorise)
                .handler(this::checkContentType)
                .handler(this::readBody);
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
        List<Purge> purges;
        try {
            purges = parse(body);
        } catch (BadRequest e) {
            error(ctx, 400, e.getMessage());
            return;
        }
        Context context = Vertx.currentContext();
        long start = System.nanoTime();
        CompletableFuture<Integer> total = CompletableFuture.completedFuture(0);
        for (Purge p : purges) {
            total = total.thenCompose(n -> storage.purge(p).thenApply(m -> n + m));
        }
        total.whenComplete((n, err) -> context.runOnContext(v -> {
            if (err != null) {
                LOG.warn("purge failed: {}", err.toString());
                error(ctx, 500, "purge failed: " + err.getMessage());
                return;
            }
            duration.record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
            purgedObjects.increment(n);
            Counter.builder("outpost.purges").description("Purges applied, by type")
                    .tag("type", purges.get(0).getClass().getSimpleName().toLowerCase(Locale.ROOT))
                    .tag("soft", Boolean.toString(purges.get(0).soft())).register(registry)
                    .increment(purges.size());
            LOG.info("purge applied: {} ({} variants)", purges.size() == 1 ? purges.get(0) : purges, n);
            ctx.response().setStatusCode(200).putHeader("Content-Type", "application/json")
                    .end(new JsonObject().put("purged", n).encode());
        }));
    }

    /** The purges a body asks for, one per value; throws BadRequest naming the field. */
    List<Purge> parse(String body) throws BadRequest {
        if (body == null || body.isBlank()) {
            throw new BadRequest("body: a JSON object is required");
        }
        JsonObject json;
        try {
            Object parsed = io.vertx.core.json.Json.decodeValue(body);
            if (!(parsed instanceof JsonObject o)) {
                throw new BadRequest("body: must be a JSON object");
            }
            json = o;
        } catch (DecodeException e) {
            throw new BadRequest("body: not valid JSON");
        }
        for (String name : json.fieldNames()) {
            if (!FIELDS.contains(name)) {
                throw new BadRequest(name + ": unknown field (allowed: type, values, host, soft)");
            }
        }
        Object typeValue = json.getValue("type");
        if (!(typeValue instanceof String type)) {
            throw new BadRequest("type: required, one of url, prefix, tag, all");
        }
        if (!TYPES.contains(type)) {
            throw new BadRequest("type: unknown type '" + type + "', one of url, prefix, tag, all");
        }
        Object softValue = json.getValue("soft");
        if (softValue != null && !(softValue instanceof Boolean)) {
            throw new BadRequest("soft: must be true or false");
        }
        boolean soft = Boolean.TRUE.equals(softValue);
        Object hostValue = json.getValue("host");
        String host = null;
        if (hostValue != null) {
            if (!(hostValue instanceof String h) || h.isBlank() || h.contains("/") || h.length() > 255) {
                throw new BadRequest("host: must be a host name (with an optional port)");
            }
            host = CacheKeyPolicy.normaliseHost("http", h);
        }
        List<String> values = values(json.getValue("values"), !type.equals("all"));
        List<Purge> purges = new ArrayList<>(Math.max(1, values.size()));
        switch (type) {
            case "url" -> {
                for (int i = 0; i < values.size(); i++) {
                    CacheKey key = absolute(values.get(i), i, host);
                    purges.add(new Purge.Url(key, soft));
                }
            }
            case "prefix" -> {
                for (int i = 0; i < values.size(); i++) {
                    CacheKey key = absolute(values.get(i), i, host);
                    purges.add(new Purge.Prefix(key.host(), key.pathAndQuery(), soft));
                }
            }
            case "tag" -> {
                for (String tag : values) {
                    purges.add(new Purge.Tag(tag, host, soft));
                }
            }
            case "all" -> {
                if (!values.isEmpty()) {
                    throw new BadRequest("values: must be absent for type all (use host to narrow it)");
                }
                purges.add(new Purge.All(host, soft));
            }
            default -> throw new BadRequest("type: unknown type '" + type + "', one of url, prefix, tag, all");
        }
        return purges;
    }

    private static List<String> values(Object raw, boolean required) throws BadRequest {
        if (raw == null) {
            if (required) {
                throw new BadRequest("values: required, a non-empty array of strings");
            }
            return List.of();
        }
        if (!(raw instanceof JsonArray array)) {
            throw new BadRequest("values: must be an array of strings");
        }
        if (required && array.isEmpty()) {
            throw new BadRequest("values: must not be empty");
        }
        if (array.size() > MAX_VALUES) {
            throw new BadRequest("values: at most " + MAX_VALUES + " per purge");
        }
        List<String> out = new ArrayList<>(array.size());
        for (int i = 0; i < array.size(); i++) {
            Object v = array.getValue(i);
            if (!(v instanceof String s) || s.isBlank()) {
                throw new BadRequest("values[" + i + "]: must be a non-empty string");
            }
            if (s.length() > MAX_VALUE_LENGTH) {
                throw new BadRequest("values[" + i + "]: longer than " + MAX_VALUE_LENGTH + " characters");
            }
            out.add(s);
        }
        return out;
    }

    private CacheKey absolute(String value, int i, String host) throws BadRequest {
        CacheKey key;
        try {
            URI uri = new URI(value.trim());
            String scheme = uri.getScheme();
            if (scheme == null || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))
                    || uri.getRawAuthority() == null || uri.getHost() == null) {
                throw new BadRequest("values[" + i + "]: must be an absolute http(s) URL");
            }
            key = keys.keyForAbsolute(uri);
        } catch (URISyntaxException | IllegalArgumentException e) {
            throw new BadRequest("values[" + i + "]: not a valid URL");
        }
        if (host != null && !host.equals(key.host())) {
            throw new BadRequest("values[" + i + "]: its host " + key.host() + " does not match host " + host);
        }
        return key;
    }

    private void error(RoutingContext ctx, int status, String message) {
        if (ctx.response().ended()) {
            return;
        }
        if (status != 500) {
            rejected.increment();
        }
        ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
                .end(new JsonObject().put("error", message).encode());
    }

    /** A malformed request; the message names the field. */
    static final class BadRequest extends Exception {
        BadRequest(String message) {
            super(message, null, false, false);
        }
    }
}
