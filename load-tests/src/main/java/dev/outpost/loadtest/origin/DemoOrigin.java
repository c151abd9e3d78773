package dev.outpost.loadtest.origin;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The origin behind the README demo ({@code ./run-demo}): one small Vert.x server whose paths each
 * show one caching behaviour of the edge (fresh hits, revalidation, stale-while-revalidate,
 * stale-if-error, targeted CDN-Cache-Control, private/no-store/Set-Cookie, Vary, surrogate keys,
 * request collapsing, large streamed bodies). Every page says which caching headers it sent, the
 * origin's time and how many times the origin answered that path, so a body served from the cache is
 * recognisable by its old time and count.
 *
 * <p>Conditional GET follows RFC 9110 §13.1: If-None-Match (weak comparison, {@code *}) is evaluated
 * first; If-Modified-Since only when there is no If-None-Match; both only for GET and HEAD, answering
 * 304 with the fields a 200 would carry (§15.4.5). The pages that embed the current time carry weak
 * ETags ({@code W/"..."}): their bodies differ only in that time. {@code /bytes} is byte-for-byte
 * deterministic and carries a strong ETag.
 *
 * <p>{@code /admin/fail?on=true} simulates an origin outage: every other path answers 503 (or, with
 * {@code mode=close}, the connection is closed without an answer) until {@code ?on=false}.
 *
 * <p>For the load scenarios it also serves a catalog of synthetic objects, {@code /obj/0} ..
 * {@code /obj/N-1} ({@link ObjectCatalog}: object count, size mix, Cache-Control, latency and error
 * rate from the command line), and counts what it answered at {@code /admin/stats} (JSON).
 */
@Command(name = "demo-origin", mixinStandardHelpOptions = true, version = "outpost demo-origin 0.1.0",
        description = "The Outpost demo origin: one path per caching behaviour (see GET /).")
public final class DemoOrigin implements Callable<Integer> {

    /** Largest {@code /bytes} body. */
    static final long MAX_BYTES = 16L << 30;
    /** Longest {@code /slow} delay. */
    static final long MAX_DELAY_MS = 60_000;

    private static final DateTimeFormatter IMF_FIXDATE =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);
    private static final Map<String, String> GREETINGS = Map.of(
            "en", "Hello", "fr", "Bonjour", "de", "Hallo", "es", "Hola", "it", "Ciao", "nl", "Hallo", "pt", "Olá");

    enum Failure { NONE, STATUS_503, CLOSE }

    @Option(names = "--port", defaultValue = "8081", paramLabel = "PORT",
            description = "Port to listen on (0 = any free port; default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--host", defaultValue = "127.0.0.1", paramLabel = "HOST",
            description = "Address to bind (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--objects", defaultValue = "10000", paramLabel = "N",
            description = "Synthetic objects /obj/0 .. /obj/N-1 (default: ${DEFAULT-VALUE}).")
    int objects;

    @Option(names = "--size-mix", defaultValue = SizeMix.DEFAULT, paramLabel = "MIX",
            description = "Object sizes: weighted bands MIN-MAX:WEIGHT,... (default: ${DEFAULT-VALUE}).")
    String sizeMix;

    @Option(names = "--object-cache-control", defaultValue = "public, max-age=3600", paramLabel = "VALUE",
            description = "Cache-Control of every object (default: ${DEFAULT-VALUE}).")
    String objectCacheControl;

    @Option(names = "--latency", defaultValue = "0", paramLabel = "MS[-MS]",
            description = "Delay before each object answer, fixed or a uniform range, ms (default: ${DEFAULT-VALUE}).")
    String latency;

    @Option(names = "--error-rate", defaultValue = "0", paramLabel = "FRACTION",
            description = "Fraction of object requests answered 500, 0 to 1 (default: ${DEFAULT-VALUE}).")
    double errorRate;

    @Option(names = "--tag-groups", defaultValue = "100", paramLabel = "N",
            description = "Objects carry Surrogate-Key o<id> g<id mod N> (default: ${DEFAULT-VALUE}).")
    int tagGroups;

    private final Clock clock;
    private final Instant started;
    private final Map<String, AtomicLong> answered = new ConcurrentHashMap<>();
    private final AtomicLong refusedWhileDown = new AtomicLong();
    private volatile Failure failure = Failure.NONE;
    /** Given by tests; otherwise built from the options by {@link #call()}. */
    private ObjectCatalog.Settings catalogSettings;
    private ObjectCatalog catalog;

    public DemoOrigin() {
        this(Clock.systemUTC(), ObjectCatalog.Settings.DEFAULT);
    }

    DemoOrigin(Clock clock) {
        this(clock, ObjectCatalog.Settings.DEFAULT);
    }

    DemoOrigin(Clock clock, ObjectCatalog.Settings catalogSettings) {
        this.clock = clock;
        this.started = clock.instant().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        this.catalogSettings = catalogSettings;
    }

    public static void main(String[] args) {
        int code = new CommandLine(new DemoOrigin()).execute(args);
        if (code != 0) {
            System.exit(code);
        }
    }

    @Override
    public Integer call() throws Exception {
        try {
            catalogSettings = catalogSettingsFromOptions();
        } catch (IllegalArgumentException e) {
            System.err.println("demo-origin: " + e.getMessage());
            return 2;
        }
        Vertx vertx = Vertx.vertx();
        int actual;
        try {
            actual = start(vertx, host, port).await(30, TimeUnit.SECONDS).actualPort();
        } catch (Exception e) {
            System.err.println("demo-origin: could not listen on " + host + ":" + port + ": " + e.getMessage());
            vertx.close().await(10, TimeUnit.SECONDS);
            return 1;
        }
        System.out.println("demo-origin: listening on http://" + host + ":" + actual + "/");
        CountDownLatch forever = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                vertx.close().await(5, TimeUnit.SECONDS);
            } catch (Exception ignored) {
                // exiting anyway
            }
        }, "demo-origin-shutdown"));
        forever.await();
        return 0;
    }

    /** Starts the server; the future carries it (its {@code actualPort()} when port is 0). */
    public Future<HttpServer> start(Vertx vertx, String bindHost, int bindPort) {
        // HTTP/1.1 only, like the edge (Vert.x 5.0's h2c upgrade can stall larger responses to the JDK client)
        return vertx.createHttpServer(new HttpServerOptions().setHost(bindHost).setPort(bindPort)
                        .setHttp2ClearTextEnabled(false))
                .requestHandler(router(vertx))
                .listen();
    }

    /** The object catalog's settings from the command-line options; the message names a bad one. */
    ObjectCatalog.Settings catalogSettingsFromOptions() {
        String[] range = latency.strip().split("-", 2);
        long min;
        long max;
        try {
            min = Long.parseLong(range[0].strip());
            max = range.length == 1 ? min : Long.parseLong(range[1].strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--latency must be MS or MIN-MAX in milliseconds, got \"" + latency + "\"");
        }
        return new ObjectCatalog.Settings(objects, SizeMix.parse(sizeMix), objectCacheControl, min, max, errorRate,
                tagGroups);
    }

    Router router(Vertx vertx) {
        catalog = new ObjectCatalog(catalogSettings, clock, started);
        Router router = Router.router(vertx);
        router.route().handler(this::failSwitch);
        router.route("/admin/fail").method(HttpMethod.GET).method(HttpMethod.POST).handler(this::adminFail);
        router.route("/admin/stats").method(HttpMethod.GET).handler(this::adminStats);
        get(router, "/obj/:id", catalog::handle);
        get(router, "/", this::index);
        get(router, "/static/*", ctx -> {
            String path = ctx.request().path();
            ctx.response().putHeader("Cache-Control", "public, max-age=300")
                    .putHeader("ETag", "W/\"static-" + Integer.toHexString(path.hashCode()) + "-"
                            + started.getEpochSecond() + "\"")
                    .putHeader("Last-Modified", httpDate(started));
            page(ctx, "static", "A static asset: fresh for 5 minutes at the edge; after that the edge "
                    + "revalidates it with If-None-Match / If-Modified-Since and the origin answers 304.");
        });
        get(router, "/short", ctx -> {
            ctx.response().putHeader("Cache-Control", "max-age=5").putHeader("ETag", "W/\"short-v1\"");
            page(ctx, "short", "Fresh for 5 s. Then the edge revalidates with If-None-Match, the origin "
                    + "answers 304 and the edge keeps serving this body (note its old time and count).");
        });
        get(router, "/swr", ctx -> {
            ctx.response().putHeader("Cache-Control", "max-age=5, stale-while-revalidate=30");
            page(ctx, "swr", "Fresh for 5 s, then for 30 s more the edge answers at once with the stale "
                    + "copy and refetches it in the background.");
        });
        get(router, "/sie", ctx -> {
            ctx.response().putHeader("Cache-Control", "max-age=5, stale-if-error=300");
            page(ctx, "sie", "Fresh for 5 s. While the origin is down (/admin/fail?on=true on the origin) "
                    + "the edge keeps serving this stale copy for up to 300 s instead of the error.");
        });
        get(router, "/cdn", ctx -> {
            ctx.response().putHeader("Cache-Control", "no-store").putHeader("CDN-Cache-Control", "max-age=60");
            page(ctx, "cdn", "Browsers must not store this (Cache-Control: no-store), but the CDN caches it "
                    + "for 60 s (CDN-Cache-Control, RFC 9213: a field for CDNs only).");
        });
        get(router, "/private", ctx -> {
            ctx.response().putHeader("Cache-Control", "private, max-age=60");
            page(ctx, "private", "A browser may keep this for 60 s; a shared cache (the edge) must not store it.");
        });
        get(router, "/no-store", ctx -> {
            ctx.response().putHeader("Cache-Control", "no-store");
            page(ctx, "no-store", "Nobody stores this: every request reaches the origin.");
        });
        get(router, "/vary", this::vary);
        get(router, "/tagged", ctx -> {
            ctx.response().putHeader("Cache-Control", "max-age=60")
                    .putHeader("Surrogate-Key", "demo products")
                    .putHeader("Cache-Tag", "demo,products");
            page(ctx, "tagged", "Cached for 60 s under the tags demo and products (for purge by tag); the "
                    + "edge removes Surrogate-Key and Cache-Tag before answering.");
        });
        get(router, "/cookie", ctx -> {
            long n = count("cookie-value");
            ctx.response().putHeader("Cache-Control", "max-age=60")
                    .putHeader("Set-Cookie", "demo-session=" + n + "; Path=/; HttpOnly; SameSite=Lax");
            page(ctx, "cookie", "Sets a cookie: the edge does not store a response with Set-Cookie, although "
                    + "it says max-age=60, so no visitor gets another visitor's cookie.");
        });
        get(router, "/slow", this::slow);
        get(router, "/bytes", this::bytes);
        router.route().handler(ctx -> {
            if (ctx.request().method() == HttpMethod.GET || ctx.request().method() == HttpMethod.HEAD) {
                ctx.response().setStatusCode(404).putHeader("Cache-Control", "max-age=10");
                page(ctx, "not-found", "No such demo page (see /). This 404 may be cached for 10 s.");
            } else {
                ctx.next();
            }
        });
        return router;
    }

    private static void get(Router router, String path, io.vertx.core.Handler<RoutingContext> handler) {
        router.route(path).method(HttpMethod.GET).method(HttpMethod.HEAD).handler(handler);
    }

    // ---------------------------------------------------------------- origin-down simulation

    private void failSwitch(RoutingContext ctx) {
        Failure now = failure;
        if (now == Failure.NONE || ctx.request().path().startsWith("/admin/")) {
            ctx.next();
        } else if (now == Failure.CLOSE) {
            refusedWhileDown.incrementAndGet();
            ctx.request().connection().close();
        } else {
            refusedWhileDown.incrementAndGet();
            ctx.response().setStatusCode(503).putHeader("Cache-Control", "no-store").putHeader("Retry-After", "10");
            page(ctx, "down", "The origin is down on purpose (/admin/fail?on=false on the origin ends it).");
        }
    }

    private void adminFail(RoutingContext ctx) {
        String on = ctx.request().getParam("on");
        String mode = ctx.request().getParam("mode", "503");
        if (on != null) {
            if (!on.equals("true") && !on.equals("false") || !mode.equals("503") && !mode.equals("close")) {
                plain(ctx, 400, "usage: /admin/fail?on=true|false[&mode=503|close]\n");
                return;
            }
            failure = on.equals("false") ? Failure.NONE : mode.equals("close") ? Failure.CLOSE : Failure.STATUS_503;
        }
        String state = switch (failure) {
            case NONE -> "up: every path answers normally";
            case STATUS_503 -> "down: every path except /admin/* answers 503";
            case CLOSE -> "down: every path except /admin/* closes the connection without answering";
        };
        plain(ctx, 200, "origin " + state + "\n");
    }

    /**
     * {@code GET /admin/stats}: the object catalog's counters ({@link ObjectCatalog#stats()}) plus
     * {@code refusedWhileDown}, requests refused by the outage switch, and {@code down}.
     */
    private void adminStats(RoutingContext ctx) {
        JsonObject stats = catalog.stats()
                .put("refusedWhileDown", refusedWhileDown.get())
                .put("down", failure != Failure.NONE);
        ctx.response().putHeader("Cache-Control", "no-store");
        send(ctx, "application/json", stats.encode());
    }

    // ---------------------------------------------------------------- pages

    private void index(RoutingContext ctx) {
        ctx.response().putHeader("Cache-Control", "max-age=10");
        long n = count("index");
        String html = """
                <!doctype html>
                <html><head><meta charset="utf-8"><title>Outpost demo origin</title></head>
                <body>
                <h1>Outpost demo origin</h1>
                <p>Origin time %s, answer #%d for this page. Sent <code>Cache-Control: max-age=10</code>.</p>
                <p>Request these paths through the edge (port 8080 by default) and watch the
                <code>Cache-Status</code> response header. Each page says which caching headers the origin sent.</p>
                <table border="1" cellpadding="4">
                <tr><th>path</th><th>origin sends</th><th>what to expect at the edge</th></tr>
                <tr><td><a href="/static/logo.txt">/static/*</a></td><td>public, max-age=300, ETag, Last-Modified</td>
                  <td>miss, then hits for 5 minutes; then a revalidation answered 304</td></tr>
                <tr><td><a href="/short">/short</a></td><td>max-age=5, ETag</td>
                  <td>hits for 5 s, then revalidation (If-None-Match &rarr; 304): same body, new ttl</td></tr>
                <tr><td><a href="/swr">/swr</a></td><td>max-age=5, stale-while-revalidate=30</td>
                  <td>after 5 s the stale copy is served at once while the edge refetches in the background</td></tr>
                <tr><td><a href="/sie">/sie</a></td><td>max-age=5, stale-if-error=300</td>
                  <td>with the origin down (<code>/admin/fail?on=true</code> on the origin), the stale copy instead of a 503</td></tr>
                <tr><td><a href="/cdn">/cdn</a></td><td>Cache-Control: no-store, CDN-Cache-Control: max-age=60</td>
                  <td>the edge caches it for 60 s; browsers don't</td></tr>
                <tr><td><a href="/private">/private</a></td><td>private, max-age=60</td><td>never stored at the edge</td></tr>
                <tr><td><a href="/no-store">/no-store</a></td><td>no-store</td><td>never stored</td></tr>
                <tr><td><a href="/vary">/vary</a></td><td>Vary: Accept-Language, max-age=60</td>
                  <td>one cached copy per Accept-Language</td></tr>
                <tr><td><a href="/tagged">/tagged</a></td><td>Surrogate-Key, Cache-Tag, max-age=60</td>
                  <td>cached under tags demo and products; the tag headers are removed</td></tr>
                <tr><td><a href="/cookie">/cookie</a></td><td>Set-Cookie, max-age=60</td><td>not stored (Set-Cookie)</td></tr>
                <tr><td><a href="/slow?ms=500">/slow?ms=500</a></td><td>max-age=30, answers after ms milliseconds (at most 60000)</td>
                  <td>concurrent misses are collapsed into one origin request</td></tr>
                <tr><td><a href="/bytes?size=1048576">/bytes?size=N</a></td><td>max-age=60, N deterministic bytes (at most 16 GiB), streamed</td>
                  <td>large bodies stream through; objects above the memory tier's max-object-size are not kept</td></tr>
                <tr><td>/admin/fail?on=true|false[&amp;mode=503|close]</td><td>no-store</td>
                  <td>origin down simulation: every other path answers 503 (or the connection is closed)</td></tr>
                <tr><td><a href="/obj/0">/obj/0</a> .. /obj/%d</td><td>%s; sizes %s; Surrogate-Key o&lt;id&gt; g&lt;id mod %d&gt;</td>
                  <td>the synthetic objects of the load scenarios (load-tests/README.md)</td></tr>
                <tr><td><a href="/admin/stats">/admin/stats</a></td><td>no-store, JSON</td>
                  <td>what the origin answered for /obj/*: requests, distinct objects, refetches, 304s, errors</td></tr>
                <tr><td>anything else</td><td>404, max-age=10</td><td>the 404 is cached for 10 s</td></tr>
                </table>
                </body></html>
                """.formatted(httpDate(clock.instant()), n, catalogSettings.objects() - 1,
                catalogSettings.cacheControl(), catalogSettings.sizes(), catalogSettings.tagGroups());
        send(ctx, "text/html; charset=utf-8", html);
    }

    private void vary(RoutingContext ctx) {
        String lang = firstLanguage(ctx.request().getHeader("Accept-Language"));
        ctx.response().putHeader("Cache-Control", "max-age=60")
                .putHeader("Vary", "Accept-Language")
                .putHeader("Content-Language", lang);
        page(ctx, "vary", GREETINGS.get(lang) + "! The edge keeps one copy per Accept-Language "
                + "(try Accept-Language: fr, de, es, it, nl or pt).");
    }

    private void slow(RoutingContext ctx) {
        long ms = longParam(ctx, "ms", 500, MAX_DELAY_MS);
        if (ms < 0) {
            return;
        }
        ctx.response().putHeader("Cache-Control", "max-age=30");
        ctx.vertx().setTimer(Math.max(1, ms), id -> {
            if (!ctx.response().closed()) {
                page(ctx, "slow", "Answered after " + ms + " ms. Concurrent misses at the edge wait for this one "
                        + "origin request (collapsing): compare the answer counts.");
            }
        });
    }

    private void bytes(RoutingContext ctx) {
        long size = longParam(ctx, "size", 1 << 20, MAX_BYTES);
        if (size < 0) {
            return;
        }
        count("bytes");
        HttpServerResponse resp = ctx.response();
        resp.putHeader("Cache-Control", "max-age=60").putHeader("ETag", "\"bytes-" + size + "\"");
        if (notModified(ctx, clock)) {
            return;
        }
        resp.putHeader("Content-Type", "application/octet-stream")
                .putHeader("Content-Length", Long.toString(size))
                .putHeader("Date", httpDate(clock.instant()));
        if (ctx.request().method() == HttpMethod.HEAD || size == 0) {
            resp.end();
            return;
        }
        PatternBody.stream(resp, size);
    }

    // ---------------------------------------------------------------- helpers

    /**
     * Answers a short text page for the caching headers already set on the response: 304 when the
     * request's conditionals say so, else the page listing those headers, the time and the answer
     * count (304s included, so a revalidated copy shows an older count than the origin's).
     */
    private void page(RoutingContext ctx, String name, String explanation) {
        HttpServerResponse resp = ctx.response();
        resp.putHeader("Date", httpDate(clock.instant()));
        long n = count(name);
        if (resp.getStatusCode() == 200 && notModified(ctx, clock)) {
            return;
        }
        StringBuilder body = new StringBuilder(512)
                .append("Outpost demo origin: ").append(ctx.request().path()).append('\n')
                .append(explanation).append('\n')
                .append("Origin time: ").append(clock.instant()).append(" (answer #").append(n)
                .append(" for ").append(name).append(")\n")
                .append("Sent: ").append(resp.getStatusCode()).append('\n');
        resp.headers().forEach(h -> body.append("  ").append(h.getKey()).append(": ").append(h.getValue()).append('\n'));
        send(ctx, "text/plain; charset=utf-8", body.toString());
    }

    static void plain(RoutingContext ctx, int status, String text) {
        ctx.response().setStatusCode(status).putHeader("Cache-Control", "no-store");
        send(ctx, "text/plain; charset=utf-8", text);
    }

    private static void send(RoutingContext ctx, String contentType, String text) {
        Buffer body = Buffer.buffer(text, "UTF-8");
        HttpServerResponse resp = ctx.response()
                .putHeader("Content-Type", contentType)
                .putHeader("Content-Length", Integer.toString(body.length()));
        if (ctx.request().method() == HttpMethod.HEAD) {
            resp.end();
        } else {
            resp.end(body);
        }
    }

    /**
     * RFC 9110 §13.1.2 / §13.1.3 / §13.2.2 for GET and HEAD: if the request's validators match the
     * ETag / Last-Modified already set on the response, answers 304 (no body) and returns true.
     */
    static boolean notModified(RoutingContext ctx, Clock clock) {
        HttpMethod method = ctx.request().method();
        if (method != HttpMethod.GET && method != HttpMethod.HEAD) {
            return false;
        }
        HttpServerResponse resp = ctx.response();
        String ifNoneMatch = ctx.request().getHeader("If-None-Match");
        String etag = resp.headers().get("ETag");
        boolean match;
        if (ifNoneMatch != null) {
            match = etag != null && etagMatches(ifNoneMatch, etag);
        } else {
            match = notModifiedSince(ctx.request().getHeader("If-Modified-Since"), resp.headers().get("Last-Modified"));
        }
        if (match) {
            if (resp.headers().get("Date") == null) {
                resp.putHeader("Date", httpDate(clock.instant()));
            }
            resp.setStatusCode(304).end();
        }
        return match;
    }

    /** Weak comparison (§8.8.3.2) of {@code etag} with each member of an If-None-Match list, or "*". */
    static boolean etagMatches(String ifNoneMatch, String etag) {
        String wanted = opaque(etag);
        int i = 0;
        int n = ifNoneMatch.length();
        while (i < n) {
            char c = ifNoneMatch.charAt(i);
            if (c == ' ' || c == '\t' || c == ',') {
                i++;
            } else if (c == '*') {
                return true;
            } else {
                int start = ifNoneMatch.startsWith("W/", i) ? i + 2 : i;
                if (start >= n || ifNoneMatch.charAt(start) != '"') {
                    return false; // malformed list: no match
                }
                int close = ifNoneMatch.indexOf('"', start + 1);
                if (close < 0) {
                    return false;
                }
                if (ifNoneMatch.substring(start, close + 1).equals(wanted)) {
                    return true;
                }
                i = close + 1;
            }
        }
        return false;
    }

    private static String opaque(String etag) {
        return etag.startsWith("W/") ? etag.substring(2) : etag;
    }

    private static boolean notModifiedSince(String ifModifiedSince, String lastModified) {
        if (ifModifiedSince == null || lastModified == null) {
            return false;
        }
        try {
            Instant since = Instant.from(IMF_FIXDATE.parse(ifModifiedSince.trim()));
            Instant modified = Instant.from(IMF_FIXDATE.parse(lastModified));
            return !modified.isAfter(since);
        } catch (DateTimeParseException e) {
            return false; // §13.1.3: an invalid date is ignored
        }
    }

    static String httpDate(Instant instant) {
        return IMF_FIXDATE.format(instant);
    }

    /** The first supported language tag's primary subtag in an Accept-Language list (q ignored), else "en". */
    static String firstLanguage(String acceptLanguage) {
        if (acceptLanguage != null) {
            for (String part : acceptLanguage.split(",")) {
                String tag = part.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
                String primary = tag.split("-", 2)[0];
                if (GREETINGS.containsKey(primary)) {
                    return primary;
                }
            }
        }
        return "en";
    }

    /** A whole-number query parameter in [0, max], its default when absent; -1 after answering 400. */
    private static long longParam(RoutingContext ctx, String name, long dflt, long max) {
        String raw = ctx.request().getParam(name);
        if (raw == null) {
            return dflt;
        }
        try {
            long value = Long.parseLong(raw);
            if (value >= 0 && value <= max) {
                return value;
            }
        } catch (NumberFormatException ignored) {
            // answered below
        }
        plain(ctx, 400, name + " must be a whole number from 0 to " + max + "\n");
        return -1;
    }

    private long count(String name) {
        return answered.computeIfAbsent(name, k -> new AtomicLong()).incrementAndGet();
    }
}
