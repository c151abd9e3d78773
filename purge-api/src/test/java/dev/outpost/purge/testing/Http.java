package dev.outpost.purge.testing;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;

/**
 * A real HTTP client for tests (java.net.http, with its defaults: it asks plain-text servers for an h2c
 * upgrade, as operators' JDK clients do), with JSON helpers.
 */
public final class Http {

    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private Http() {
    }

    /** A response: status, body text, headers. */
    public record Response(int status, String body, java.net.http.HttpHeaders headers, HttpClient.Version version) {
        public JsonObject json() {
            return new JsonObject(body);
        }

        public Optional<String> header(String name) {
            return headers.firstValue(name);
        }

        @Override
        public String toString() {
            return status + " " + body;
        }
    }

    public static Response get(String url, String token) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).GET();
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return send(b.build());
    }

    public static Response post(String url, String token, String contentType, String body)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        return send(b.build());
    }

    private static Response send(HttpRequest request) throws IOException, InterruptedException {
        HttpResponse<String> r = CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
        return new Response(r.statusCode(), r.body(), r.headers(), r.version());
    }

    /** Polls {@code check} every 20 ms for at most {@code limit}; for background work only (never freshness). */
    public static void eventually(Duration limit, String what, Check check) throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        AssertionError last = null;
        while (System.nanoTime() < deadline) {
            try {
                if (check.holds()) {
                    return;
                }
            } catch (AssertionError e) {
                last = e;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("not within " + limit + ": " + what, last);
    }

    /** A condition polled by {@link #eventually}. */
    @FunctionalInterface
    public interface Check {
        boolean holds() throws Exception;
    }
}
