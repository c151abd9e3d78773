package dev.outpost.edge.server;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The admin port (ARCHITECTURE §5): {@code GET /metrics} (Prometheus text), {@code GET /healthz}
 * (the process is alive), {@code GET /readyz} (200 only while the edge is serving; 503 while it
 * starts, catches up or drains). Kept off the traffic port so it can be firewalled separately.
 */
public final class AdminServer {

    private final Vertx vertx;
    private final PrometheusMeterRegistry registry;
    private final BooleanSupplier ready;
    private final Router router;
    private HttpServer server;

    public AdminServer(Vertx vertx, PrometheusMeterRegistry registry, BooleanSupplier ready) {
        this.vertx = vertx;
        this.registry = registry;
        this.ready = ready;
        this.router = Router.router(vertx);
        router.get("/metrics").handler(ctx -> ctx.response()
                .putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
                .end(registry.scrape()));
        router.get("/healthz").handler(ctx -> ctx.response()
                .putHeader("Content-Type", "application/json")
                .end("{\"status\":\"alive\"}"));
        router.get("/readyz").handler(ctx -> {
            boolean ok = ready.getAsBoolean();
            ctx.response().setStatusCode(ok ? 200 : 503)
                    .putHeader("Content-Type", "application/json")
                    .end(ok ? "{\"status\":\"ready\"}" : "{\"status\":\"not ready\"}");
        });
    }

    /** The router, so other admin endpoints (purge) can be mounted. */
    public Router router() {
        return router;
    }

    public Future<Integer> listen(String host, int port) {
        server = vertx.createHttpServer(new HttpServerOptions().setHost(host).setPort(port));
        return server.requestHandler(router).listen().map(HttpServer::actualPort);
    }

    public Future<Void> close() {
        return server == null ? Future.succeededFuture() : server.shutdown(1, TimeUnit.SECONDS);
    }
}
