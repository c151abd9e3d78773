package dev.outpost.purge.api;

import dev.outpost.config.ApiToken;
import dev.outpost.config.Durations;
import dev.outpost.config.PurgeApiConfig;
import dev.outpost.config.EdgeTargetConfig;
import dev.outpost.purge.BadRequest;
import dev.outpost.purge.PurgeApiMetrics;
import dev.outpost.purge.PurgeCommand;
import dev.outpost.purge.PurgeRequests;
import dev.outpost.purge.PurgeStatus;
import dev.outpost.purge.fanout.FanOut;
import dev.outpost.purge.log.PurgeEntry;
import dev.outpost.purge.log.PurgeLog;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.HttpException;
import io.vertx.ext.web.openapi.router.OpenAPIRoute;
import io.vertx.ext.web.openapi.router.RequestExtractor;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import io.vertx.openapi.contract.OpenAPIContract;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The purge-api's HTTP surface (ARCHITECTURE §5, docs/purge-protocol.md): operational endpoints
 * ({@code /healthz}, {@code /readyz}, {@code /metrics}) and the REST API under {@code /v1}, routed and
 * validated from {@code openapi.yaml} by vertx-web-openapi-router ({@link ApiContract}).
 *
 * <p>Order of the checks for a {@code /v1} request: bearer token (401 without, with {@code WWW-Authenticate},
 * 403 for an unknown one), then for {@code POST /v1/purges} the content type (415) before the body is read, the
 * body size ({@code limits.max-body-size}, 413, from Content-Length before reading or while reading), JSON
 * syntax (400), then the contract (400 naming the field), then {@link PurgeRequests} (400 naming the field).
 * Every error is {@code {"error", "field"?}}.
 */
public final class RestApi {

    private static final Logger LOG = LoggerFactory.getLogger(RestApi.class);

    private final Vertx vertx;
    private final PurgeApiConfig config;
    private final PurgeLog log;
    private final FanOut fanOut;
    private final PurgeApiMetrics metrics;
    private final PrometheusMeterRegistry registry;
    private final BooleanSupplier ready;
    private final PurgeRequests requests;
    private final List<String> edgeIds;

    public RestApi(Vertx vertx, PurgeApiConfig config, PurgeLog log, FanOut fanOut, PurgeApiMetrics metrics,
            PrometheusMeterRegistry registry, BooleanSupplier ready) {
        this.vertx = vertx;
        this.config = config;
        this.log = log;
        this.fanOut = fanOut;
        this.metrics = metrics;
        this.registry = registry;
        this.ready = ready;
        this.requests = new PurgeRequests(config.limits());
        this.edgeIds = config.edges().stream().map(EdgeTargetConfig::id).toList();
    }

    /** Loads the contract and builds the router. */
    public Future<Router> router() {
        ApiContract contract = ApiContract.load(config.limits());
        return OpenAPIContract.from(vertx, contract.json()).map(c -> build(c, contract));
    }

    private Router build(OpenAPIContract contract, ApiContract document) {
        RouterBuilder builder = RouterBuilder.create(vertx, contract, RequestExtractor.withBodyHandler());
        for (OpenAPIRoute route : builder.getRoutes()) {
            route.setDoSecurity(false); // the bearer check runs before the body is read: authenticate() below
        }
        builder.getRoute("createPurge").addHandler(this::createPurge);
        builder.getRoute("getPurge").addHandler(this::getPurge);
        builder.getRoute("listEdges").addHandler(this::listEdges);
        builder.getRoute("readLog").addHandler(this::readLog);
        Router api = builder.createRouter();
        api.route().failureHandler(this::failure);

        Router root = Router.router(vertx);
        root.get("/healthz").handler(ctx -> json(ctx, 200, new JsonObject().put("status", "alive")));
        root.get("/readyz").handler(ctx -> {
            boolean ok = ready.getAsBoolean();
            json(ctx, ok ? 200 : 503, new JsonObject().put("status", ok ? "ready" : "not ready"));
        });
        root.get("/metrics").handler(ctx -> ctx.response()
                .putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8").end(registry.scrape()));
        String yaml = document.yaml();
        root.get("/v1/openapi.yaml").handler(ctx -> ctx.response()
                .putHeader("Content-Type", "application/yaml; charset=utf-8").end(yaml));
        root.route("/v1/*").handler(this::authenticate);
        root.post("/v1/purges").handler(this::requireJsonContentType);
        root.route("/v1/*").handler(BodyHandler.create(false).setBodyLimit(config.limits().maxBodySize()));
        root.post("/v1/purges").handler(this::requireJsonSyntax);
        root.route("/*").subRouter(api); // the contract's paths are absolute (/v1/...)
        root.route().last().handler(ctx -> error(ctx, 404, null, "no such resource: " + ctx.request().method()
                + " " + ctx.request().path()));
        root.route().failureHandler(this::failure);
        return root;
    }

    // ---------------------------------------------------------------- checks before the contract

    private void authenticate(RoutingContext ctx) {
        String header = ctx.request().getHeader("Authorization");
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7) || header.substring(7).isBlank()) {
            ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"outpost-purge-api\"");
            error(ctx, 401, null, "a bearer token is required (Authorization: Bearer <token>)");
            return;
        }
        Optional<ApiToken> token = config.auth().find(header.substring(7).trim());
        if (token.isEmpty()) {
            error(ctx, 403, null, "the bearer token is not valid");
            return;
        }
        ctx.put("client", token.get().name());
        ctx.next();
    }

    private void requireJsonContentType(RoutingContext ctx) {
        String type = ctx.request().getHeader("Content-Type");
        String media = type == null ? "" : type.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
        if (!media.equals("application/json")) {
            error(ctx, 415, "Content-Type", "the body must be application/json");
            return;
        }
        ctx.next();
    }

    private void requireJsonSyntax(RoutingContext ctx) {
        try {
            io.vertx.core.buffer.Buffer raw = ctx.body().buffer();
            Object body = raw == null || raw.length() == 0 ? null : Json.decodeValue(raw);
            if (!(body instanceof JsonObject)) {
                error(ctx, 400, "body", "must be a JSON object");
                return;
            }
        } catch (DecodeException e) {
            error(ctx, 400, "body", "not valid JSON");
            return;
        }
        ctx.next();
    }

    // ---------------------------------------------------------------- operations

    private void createPurge(RoutingContext ctx) {
        PurgeCommand command;
        Duration wait;
        try {
            command = requests.parse(ctx.body().asJsonObject());
            wait = waitParameter(ctx.queryParams().get("wait"));
        } catch (BadRequest e) {
            error(ctx, 400, e.field(), e.getMessage());
            return;
        }
        Context context = vertx.getOrCreateContext();
        String client = ctx.get("client");
        log.append(command).whenComplete((entry, failure) -> context.runOnContext(v -> {
            if (failure != null) {
                LOG.error("purge from {} could not be stored: {}", client, failure.toString());
                error(ctx, 503, null, "the purge could not be stored, nothing was accepted: " + failure.getMessage());
                return;
            }
            metrics.accepted(command.type(), command.soft());
            fanOut.accepted(entry, System.nanoTime());
            LOG.info("purge {} accepted from {}: sequence {}, {} {} value(s){}{}", entry.id(), client,
                    entry.sequence(), command.type().wire(), command.values().size(),
                    command.host() == null ? "" : ", host " + command.host(), command.soft() ? ", soft" : "");
            if (wait == null) {
                accepted(ctx, entry, "pending", null);
            } else {
                fanOut.await(entry.sequence(), wait).onComplete(o -> accepted(ctx, entry, o.result().status(),
                        o.result().lagging()));
            }
        }));
    }

    private Duration waitParameter(String raw) throws BadRequest {
        if (raw == null) {
            return null;
        }
        Duration wait;
        try {
            wait = Durations.parse(raw);
        } catch (IllegalArgumentException e) {
            throw new BadRequest("wait", e.getMessage());
        }
        if (wait.compareTo(config.limits().maxWait()) > 0) {
            throw new BadRequest("wait", "at most " + config.limits().maxWait().toMillis() + "ms (limits.max-wait)");
        }
        return wait;
    }

    private void accepted(RoutingContext ctx, PurgeEntry entry, String status, List<String> lagging) {
        JsonObject body = new JsonObject().put("id", entry.id()).put("sequence", entry.sequence())
                .put("status", status);
        if (lagging != null) {
            body.put("lagging", new JsonArray(lagging));
        }
        ctx.response().putHeader("Location", "/v1/purges/" + entry.id());
        json(ctx, 202, body);
    }

    private void getPurge(RoutingContext ctx) {
        String id = ctx.pathParam("id");
        Context context = vertx.getOrCreateContext();
        log.find(id).whenComplete((record, failure) -> context.runOnContext(v -> {
            if (failure != null) {
                ctx.fail(failure);
            } else if (record.isEmpty()) {
                error(ctx, 404, "id", "no purge with id " + id + " (never accepted, or dropped by retention)");
            } else {
                json(ctx, 200, PurgeStatus.render(record.get(), edgeIds));
            }
        }));
    }

    private void listEdges(RoutingContext ctx) {
        fanOut.edges().onComplete(ar -> {
            if (ar.failed()) {
                ctx.fail(ar.cause());
            } else {
                json(ctx, 200, new JsonObject().put("last", log.last()).put("edges", ar.result()));
            }
        });
    }

    private void readLog(RoutingContext ctx) {
        long after;
        int limit;
        try {
            after = longParameter(ctx, "after", 0, Long.MAX_VALUE, 0);
            limit = (int) longParameter(ctx, "limit", 0, 10_000, 1000);
        } catch (BadRequest e) {
            error(ctx, 400, e.field(), e.getMessage());
            return;
        }
        Context context = vertx.getOrCreateContext();
        log.entriesAfter(after, limit).whenComplete((page, failure) -> context.runOnContext(v -> {
            if (failure != null) {
                ctx.fail(failure);
                return;
            }
            JsonArray entries = new JsonArray();
            page.entries().forEach(e -> entries.add(e.toJson()));
            json(ctx, 200, new JsonObject().put("first", page.first()).put("last", page.last())
                    .put("entries", entries));
        }));
    }

    private static long longParameter(RoutingContext ctx, String name, long min, long max, long fallback)
            throws BadRequest {
        String raw = ctx.queryParams().get(name);
        if (raw == null) {
            return fallback;
        }
        try {
            long value = Long.parseLong(raw.trim());
            if (value < min || value > max) {
                throw new BadRequest(name, "must be from " + min + " to " + max + ", got " + value);
            }
            return value;
        } catch (NumberFormatException e) {
            throw new BadRequest(name, "must be an integer from " + min + " to " + max);
        }
    }

    // ---------------------------------------------------------------- answers

    private void failure(RoutingContext ctx) {
        Throwable failure = ctx.failure();
        int status = ctx.statusCode() > 0 ? ctx.statusCode() : 500;
        if (failure instanceof HttpException http) {
            status = http.getStatusCode();
        }
        if (status == 400 && failure != null) {
            ContractErrors.Problem p = ContractErrors.describe(failure);
            error(ctx, 400, p.field(), p.message());
        } else if (status == 413) {
            error(ctx, 413, "body", "larger than limits.max-body-size (" + config.limits().maxBodySize() + " bytes)");
        } else if (status == 404 || status == 405) {
            error(ctx, status, null, (status == 404 ? "no such resource: " : "method not allowed: ")
                    + ctx.request().method() + " " + ctx.request().path());
        } else if (status < 500) {
            error(ctx, status, null, failure == null ? "request refused" : failure.getMessage());
        } else {
            LOG.error("{} {} failed", ctx.request().method(), ctx.request().path(), failure);
            error(ctx, 500, null, "internal error: " + (failure == null ? "unknown" : failure.getMessage()));
        }
    }

    private void error(RoutingContext ctx, int status, String field, String message) {
        if (ctx.response().ended()) {
            return;
        }
        if (status >= 400 && status < 500) {
            metrics.rejected(status);
        }
        JsonObject body = new JsonObject().put("error", message);
        if (field != null) {
            body.put("field", field);
        }
        if (status == 413) {
            ctx.response().putHeader("Connection", "close"); // the rest of the body is not read
        }
        json(ctx, status, body);
    }

    private static void json(RoutingContext ctx, int status, JsonObject body) {
        if (ctx.response().ended()) {
            return;
        }
        ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body.encode());
    }
}
