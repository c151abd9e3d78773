package dev.outpost.purge.e2e;

import io.vertx.core.Context;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;

/**
 * Client requests to an edge's traffic port with any {@code Host} (java.net.http refuses to set it): a Vert.x
 * HTTP client used synchronously from the test thread.
 */
final class Traffic implements AutoCloseable {

    /** One answer: status, headers, body. */
    record Response(int status, MultiMap headers, String body) {
        /** This edge's own Cache-Status entry (the last one). */
        String cacheStatus() {
            String v = headers.get("Cache-Status");
            if (v == null) {
                return "";
            }
            String[] entries = v.split(",");
            return entries[entries.length - 1].trim();
        }

        boolean hit() {
            return cacheStatus().contains(";hit");
        }
    }

    private final Vertx vertx = Vertx.vertx();
    private final HttpClient http = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(false));
    private final Context context = vertx.getOrCreateContext();

    Response get(int port, String host, String path, String... headerPairs) throws Exception {
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1").setPort(port)
                .setURI(path).putHeader("Host", host).setTimeout(10_000);
        for (int i = 0; i < headerPairs.length; i += 2) {
            options.putHeader(headerPairs[i], headerPairs[i + 1]);
        }
        return OnContext.await(context, () -> http.request(options)
                .compose(r -> r.send())
                .compose(r -> r.body().map(b -> new Response(r.statusCode(), r.headers(), b.toString()))), 15);
    }

    @Override
    public void close() {
        vertx.close().await();
    }
}
