package dev.outpost.edge.proxy;

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

/**
 * Sends requests to origins over pooled keep-alive connections (one pool per origin address).
 * Timeouts: connect; first byte (also the longest silence while the response streams); idle
 * (how long a pooled connection is kept unused). A failed connect surfaces as a failed future
 * that {@link #isTimeout} tells apart from a timeout (502 vs 504).
 */
public final class OriginClient implements AutoCloseable {

    public record Settings(Duration connectTimeout, Duration firstByteTimeout, Duration idleTimeout,
            int maxConnectionsPerOrigin) {
    }

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
     * Sends a request; {@code body} is piped with back-pressure when not null. The returned future
     * completes with the response head; its body is left paused for the caller to stream.
     */
    public Future<HttpClientResponse> send(Origin origin, HttpMethod method, String pathAndQuery, MultiMap headers,
            ReadStream<Buffer> body) {
        RequestOptions options = new RequestOptions()
                .setMethod(method)
                .setHost(origin.address())
                .setPort(origin.port())
                .setSsl(origin.tls())
                .setURI(origin.basePath() + pathAndQuery)
                .setHeaders(headers)
                .setConnectTimeout(settings.connectTimeout().toMillis())
                .setIdleTimeout(settings.firstByteTimeout().toMillis());
        return client.request(options).compose((HttpClientRequest request) -> {
            Future<HttpClientResponse> response = body == null ? request.send() : request.send(body);
            return response.map(r -> {
                r.pause();
                return r;
            });
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
