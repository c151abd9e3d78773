package dev.outpost.edge.proxy;

import dev.outpost.edge.cache.CacheKey;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.streams.ReadStream;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends requests to origins over pooled keep-alive connections (one pool per origin server); an origin
 * with several servers gets each key's request on that key's server, or the next one when it is down.
 * Timeouts: connect; first byte (also the longest silence while the response streams); idle
 * (how long a pooled connection is kept unused). A failed connect surfaces as a failed future
 * that {@link #isTimeout} tells apart from a timeout (502 vs 504).
 */
public final class OriginClient implements AutoCloseable {

    public record Settings(Duration connectTimeout, Duration firstByteTimeout, Duration idleTimeout,
            int maxConnectionsPerOrigin) {
    }

    private static final Logger LOG = LoggerFactory.getLogger(OriginClient.class);

    private final HttpClientAgent client;
    private final Settings settings;

    public OriginClient(Vertx vertx, Settings settings) {
        this.settings = settings;
        HttpClientOptions options = new HttpClientOptions()
                .setKeepAlive(true)
                .setConnectTimeout((int) settings.connectTimeout().toMillis())
                .setIdleTimeout((int) Math.max(1, settings.idleTimeout().toSeconds()))
                .setDecompressionSupported(false)
                .setMaxInitialLineLength(16 * 1024)
                .setMaxHeaderSize(64 * 1024);
        PoolOptions pool = new PoolOptions().setHttp1MaxSize(settings.maxConnectionsPerOrigin());
        this.client = vertx.createHttpClient(options, pool);
    }

    /**
     * Sends a request for {@code key} to the origin's server for that key ({@link Origin#serversFor}); when
     * a server cannot be connected to (refused, connect timeout, unknown host, TLS handshake), nothing
     * was sent, so the next server in the key's order is tried, and the last failure is returned.
     * Failures after the request went out are not retried. {@code body} is piped with back-pressure
     * when not null. The returned future completes with the response head; its body is left paused for
     * the caller to stream.
     */
    public Future<HttpClientResponse> send(Origin origin, CacheKey key, HttpMethod method, String pathAndQuery,
            MultiMap headers, ReadStream<Buffer> body) {
        List<Origin.Server> servers = origin.serversFor(key);
        RequestOptions options = new RequestOptions()
                .setMethod(method)
                .setURI(origin.basePath() + pathAndQuery)
                .setHeaders(headers)
                .setConnectTimeout(settings.connectTimeout().toMillis())
                .setIdleTimeout(settings.firstByteTimeout().toMillis());
        return connect(servers, 0, options).compose((HttpClientRequest request) -> {
            Future<HttpClientResponse> response = body == null ? request.send() : request.send(body);
            return response.map(r -> {
                r.pause();
                return r;
            });
        });
    }

    /** A request on a connection to {@code servers[attempt]}, or to the next ones when it cannot connect. */
    private Future<HttpClientRequest> connect(List<Origin.Server> servers, int attempt, RequestOptions options) {
        Origin.Server server = servers.get(attempt);
        RequestOptions to = attempt == 0 ? options : new RequestOptions(options);
        Future<HttpClientRequest> connected = client.request(to
                .setHost(server.address())
                .setPort(server.port())
                .setSsl(server.tls()));
        if (attempt + 1 == servers.size()) {
            return connected;
        }
        return connected.recover(cannotConnect -> {
            LOG.debug("cannot connect to {} ({}); trying {}", server, cannotConnect.toString(),
                    servers.get(attempt + 1));
            return connect(servers, attempt + 1, options);
        });
    }

    public static boolean isTimeout(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof java.util.concurrent.TimeoutException
                    || c instanceof io.netty.channel.ConnectTimeoutException
                    || c.getClass().getSimpleName().contains("Timeout")) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void close() {
        client.close();
    }
}
