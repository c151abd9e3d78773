package dev.outpost.edge.server;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The admin port (ARCHITECTURE §5): {@code GET /metrics} (Prometheus text), {@code GET /healthz}
 * (the process is alive), {@code GET /readyz} (200 only while the edge is serving; 503 with the reason
 * in JSON while it starts, catches up on purges or drains). Kept off the traffic port so it can be
 * firewalled separately.
 */
public final class AdminServer {

    private final Vertx vertx;
    private final PrometheusMeterRegistry registry;
    private final Supplier<String> notReadyReason;
    private final Router router;
    private HttpServer server;

    /** {@code notReadyReason} answers null when the edge is ready, otherwise why it is not. */
    public AdminServer(Vertx vertx, PrometheusMeterRegistry registry, Supplier<String> notReadyReason) {
        this.vertx = vertx;
        this.registry = registry;
        this.notReadyReason = notReadyReason;
        this.router = Router.router(vertx);
        router.get("/metrics").handler(ctx -> ctx.response()
                .putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
                .end(registry.scrape()));
        router.get("/healthz").handler(ctx -> ctx.response()
                .putHeader("Content-Type", "application/json")
                .end("{\"status\":\"alive\"}"));
        router.get("/readyz").handler(ctx -> {
            String reason = notReadyReason.get();
            ctx.response().setStatusCode(reason == null ? 200 : 503)
                    .putHeader("Content-Type", "application/json")
                    .end(reason == null ? "{\"status\":\"ready\"}"
                            : new JsonObject().put("status", "not ready").put("reason", reason).encode());
        });
    }

    /** The router, so other admin endpoints (purge) can be mounted. */
    public Router router() {
        return router;
    }

    public Future<Integer> listen(String host, int port) {
        // HTTP/1.1 only: Vert.x 5.0's h2c upgrade intermittently never finishes a response larger than a few
        // KiB (a /metrics scrape) to the JDK HttpClient, which asks for h2c by default; scrapers and purge-api
        // speak HTTP/1.1 anyway.
        server = vertx.createHttpServer(new HttpServerOptions().setHost(host).setPort(port)
                .setHttp2ClearTextEnabled(false));
        return server.requestHandler(router).listen().map(HttpServer::actualPort);
    }

    public Future<Void> close() {
        return server == null ? Future.succeededFuture() : server.shutdown(1, TimeUnit.SECONDS);
    }
}
