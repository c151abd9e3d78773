package dev.outpost.edge.server;

import dev.outpost.config.ServerConfig;
import dev.outpost.edge.metrics.EdgeMetrics;
import dev.outpost.edge.proxy.ProxyPipeline;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The client-facing HTTP/1.1 server: limits from config (request line → 414, header section → 431),
 * idle timeout, and the request pipeline. Bad framing is refused before the pipeline sees it; fresh
 * memory hits are answered on the connection before Vert.x builds request objects for them
 * ({@code server.fast-memory-hits}, {@link ProxyPipeline#answerFromMemory}).
 */
public final class EdgeServer {

    private final Vertx vertx;
    private final ServerConfig config;
    private final ProxyPipeline pipeline;
    private final EdgeMetrics metrics;
    private final String nodeId;
    private HttpServer server;

    public EdgeServer(Vertx vertx, String nodeId, ServerConfig config, ProxyPipeline pipeline, EdgeMetrics metrics) {
        this.vertx = vertx;
        this.nodeId = nodeId;
        this.config = config;
        this.pipeline = pipeline;
        this.metrics = metrics;
    }

    public Future<Integer> listen() {
        HttpServerOptions options = new HttpServerOptions()
                .setHost(config.host())
                .setPort(config.port())
                .setMaxInitialLineLength((int) config.maxInitialLineLength())
                .setMaxHeaderSize((int) config.maxHeaderSize())
                .setIdleTimeout((int) Math.max(1, config.idleTimeout().toSeconds()))
                .setIdleTimeoutUnit(TimeUnit.SECONDS)
                .setCompressionSupported(false)
                .setDecompressionSupported(false)
                .setHandle100ContinueAutomatically(false)
                // no WebSocket endpoint (Upgrade is hop-by-hop and dropped): keep Netty's WebSocket
                // extension handler, which inspects every request and response, out of the pipeline
                .setPerMessageWebSocketCompressionSupported(false)
                .setPerFrameWebSocketCompressionSupported(false)
                .setHttp2ClearTextEnabled(false);
        server = vertx.createHttpServer(options);
        boolean ssl = options.isSsl();
        new RequestHardening(nodeId, metrics::rejected).install(server, options,
                config.requestHeadTimeout().toMillis(),
                config.fastMemoryHits() ? (ctx, request, close) -> pipeline.answerFromMemory(ctx, request, ssl, close) : null);
        server.requestHandler(pipeline::handle);
        return server.listen().map(HttpServer::actualPort);
    }

    /** Stops accepting and waits up to {@code grace} for in-flight requests. */
    public Future<Void> shutdown(Duration grace) {
        if (server == null) {
            return Future.succeededFuture();
        }
        return server.shutdown(Math.max(1, grace.toMillis()), TimeUnit.MILLISECONDS);
    }
}
