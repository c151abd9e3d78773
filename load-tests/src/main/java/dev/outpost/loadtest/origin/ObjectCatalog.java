package dev.outpost.loadtest.origin;

import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The load origin's objects, {@code /obj/0} to {@code /obj/N-1}: what the load scenarios request.
 * Each object has a size from the {@link SizeMix} (a pure function of its id), a strong ETag, a
 * Last-Modified, the configured Cache-Control and two surrogate keys ({@code o<id>} and
 * {@code g<id mod tagGroups>}, in {@code Surrogate-Key}) for purges. Answers may be delayed
 * (latency range) and a configured fraction fails with 500 ({@code no-store}), decided per request.
 * Conditional requests are answered 304 as the demo pages are (RFC 9110 §13.1).
 *
 * <p>It counts what it answered, per object too, so a scenario can tell how many requests reached
 * the origin, for how many distinct objects, and whether any object was fetched more than once
 * ({@link #stats()}, served as JSON at {@code /admin/stats}).
 */
final class ObjectCatalog {

    /** Largest catalog: the per-object counters are one int each. */
    static final int MAX_OBJECTS = 10_000_000;

    /**
     * @param objects       how many objects exist ({@code /obj/0} .. {@code /obj/objects-1})
     * @param sizes         their sizes
     * @param cacheControl  the Cache-Control every object answer carries
     * @param latencyMinMs  shortest delay before answering, milliseconds
     * @param latencyMaxMs  longest delay (uniform between the two)
     * @param errorRate     fraction of requests answered 500, 0 to 1
     * @param tagGroups     how many {@code g<n>} surrogate keys the objects are spread over
     */
    record Settings(int objects, SizeMix sizes, String cacheControl, long latencyMinMs, long latencyMaxMs,
            double errorRate, int tagGroups) {

        static final Settings DEFAULT = new Settings(10_000, SizeMix.parse(SizeMix.DEFAULT),
                "public, max-age=3600", 0, 0, 0.0, 100);

        Settings {
            if (objects < 0 || objects > MAX_OBJECTS) {
                throw new IllegalArgumentException("objects must be from 0 to " + MAX_OBJECTS + ", got " + objects);
            }
            if (latencyMinMs < 0 || latencyMaxMs < latencyMinMs || latencyMaxMs > DemoOrigin.MAX_DELAY_MS) {
                throw new IllegalArgumentException("latency must be MIN[-MAX] milliseconds with 0 <= MIN <= MAX <= "
                        + DemoOrigin.MAX_DELAY_MS + ", got " + latencyMinMs + "-" + latencyMaxMs);
            }
            if (!(errorRate >= 0 && errorRate <= 1)) {
                throw new IllegalArgumentException("error rate must be from 0 to 1, got " + errorRate);
            }
            if (tagGroups < 1) {
                throw new IllegalArgumentException("tag groups must be at least 1, got " + tagGroups);
            }
            if (cacheControl == null || cacheControl.isBlank()) {
                throw new IllegalArgumentException("Cache-Control of the objects must not be empty");
            }
        }
    }

    private final Settings settings;
    private final Clock clock;
    private final Instant lastModified;
    private final AtomicIntegerArray answersPerObject;
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong full = new AtomicLong();
    private final AtomicLong notModified = new AtomicLong();
    private final AtomicLong injectedErrors = new AtomicLong();
    private final AtomicLong bytesSent = new AtomicLong();

    /** {@code lastModified}: the Last-Modified of every object (the origin's start). */
    ObjectCatalog(Settings settings, Clock clock, Instant lastModified) {
        this.settings = settings;
        this.clock = clock;
        this.lastModified = lastModified;
        this.answersPerObject = new AtomicIntegerArray(settings.objects());
    }

    Settings settings() {
        return settings;
    }

    /** {@code GET|HEAD /obj/:id}. */
    void handle(RoutingContext ctx) {
        String raw = ctx.pathParam("id");
        int id;
        try {
            id = Integer.parseInt(raw);
        } catch (NumberFormatException e) {
            DemoOrigin.plain(ctx, 400, "object id must be a whole number, got \"" + raw + "\"\n");
            return;
        }
        if (id < 0 || id >= settings.objects()) {
            DemoOrigin.plain(ctx, 404, "no object " + raw + ": objects are 0 to " + (settings.objects() - 1) + "\n");
            return;
        }
        requests.incrementAndGet();
        long delay = settings.latencyMinMs() == settings.latencyMaxMs() ? settings.latencyMinMs()
                : ThreadLocalRandom.current().nextLong(settings.latencyMinMs(), settings.latencyMaxMs() + 1);
        if (delay == 0) {
            answer(ctx, id);
        } else {
            ctx.vertx().setTimer(delay, t -> {
                if (!ctx.response().closed()) {
                    answer(ctx, id);
                }
            });
        }
    }

    private void answer(RoutingContext ctx, int id) {
        if (settings.errorRate() > 0 && ThreadLocalRandom.current().nextDouble() < settings.errorRate()) {
            injectedErrors.incrementAndGet();
            DemoOrigin.plain(ctx, 500, "injected error (error rate " + settings.errorRate() + ")\n");
            return;
        }
        answersPerObject.incrementAndGet(id);
        long size = settings.sizes().sizeOf(id);
        HttpServerResponse resp = ctx.response();
        resp.putHeader("Cache-Control", settings.cacheControl())
                .putHeader("ETag", "\"o" + id + "-" + size + "\"")
                .putHeader("Last-Modified", DemoOrigin.httpDate(lastModified))
                .putHeader("Surrogate-Key", "o" + id + " g" + (id % settings.tagGroups()))
                .putHeader("Date", DemoOrigin.httpDate(clock.instant()));
        if (DemoOrigin.notModified(ctx, clock)) {
            notModified.incrementAndGet();
            return;
        }
        full.incrementAndGet();
        resp.putHeader("Content-Type", "application/octet-stream").putHeader("Content-Length", Long.toString(size));
        if (ctx.request().method() == HttpMethod.HEAD || size == 0) {
            resp.end();
            return;
        }
        bytesSent.addAndGet(size);
        PatternBody.stream(resp, size);
    }

    /**
     * What the origin answered so far: {@code requests} to existing objects (including those that
     * failed on purpose), {@code full} 200 answers, {@code notModified} 304 answers,
     * {@code injectedErrors}, {@code distinctObjects} answered at least once, {@code refetchedObjects}
     * answered more than once, {@code maxAnswersPerObject}, {@code bytesSent} (bodies).
     */
    JsonObject stats() {
        long distinct = 0;
        long refetched = 0;
        int max = 0;
        for (int i = 0; i < answersPerObject.length(); i++) {
            int n = answersPerObject.get(i);
            if (n > 0) {
                distinct++;
            }
            if (n > 1) {
                refetched++;
            }
            max = Math.max(max, n);
        }
        return new JsonObject()
                .put("objects", settings.objects())
                .put("requests", requests.get())
                .put("full", full.get())
                .put("notModified", notModified.get())
                .put("injectedErrors", injectedErrors.get())
                .put("distinctObjects", distinct)
                .put("refetchedObjects", refetched)
                .put("maxAnswersPerObject", max)
                .put("bytesSent", bytesSent.get());
    }
}
