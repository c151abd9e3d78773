package dev.outpost.edge.proxy;

import dev.outpost.edge.cache.CacheEntry;
import dev.outpost.edge.cache.CacheKey;
import dev.outpost.edge.cache.CacheKeyPolicy;
import dev.outpost.edge.cache.CacheLock;
import dev.outpost.edge.cache.CachePhase;
import dev.outpost.edge.cache.StoragePolicy;
import dev.outpost.edge.http.AcceptEncoding;
import dev.outpost.edge.http.CacheControl;
import dev.outpost.edge.http.CacheStatus;
import dev.outpost.edge.http.Cacheability;
import dev.outpost.edge.http.Conditional;
import dev.outpost.edge.http.Fields;
import dev.outpost.edge.http.HeaderFields;
import dev.outpost.edge.http.HttpDate;
import dev.outpost.edge.http.NoCacheReason;
import dev.outpost.edge.http.Reuse;
import dev.outpost.edge.http.Vary;
import dev.outpost.edge.http.Via;
import dev.outpost.edge.metrics.EdgeMetrics;
import dev.outpost.edge.metrics.EdgeMetrics.Outcome;
import dev.outpost.edge.metrics.EdgeMetrics.TierLabel;
import dev.outpost.edge.storage.CacheStorage;
import dev.outpost.edge.storage.ObjectWriter;
import dev.outpost.edge.storage.StoredBody;
import dev.outpost.edge.storage.StoredObject;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.AsciiString;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.internal.buffer.BufferInternal;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The request lifecycle of the edge (ARCHITECTURE §1), the only place that chains futures across
 * phases. Each client request becomes an {@link Exchange} that moves through {@link CachePhase}:
 *
 * <pre>
 * RECEIVED ─┬─ BYPASS ─ FETCH ─ RESPOND            (unsafe method, no-store, override headers, Authorization)
 *           └─ LOOKUP ─┬─ HIT ─ RESPOND             (fresh, max-stale, stale-while-revalidate + background)
 *                      ├─ VALIDATE ─ FETCH ─ RESPOND (conditional request; 304 freshens, 5xx may serve stale)
 *                      └─ MISS ─┬─ FETCH ─ RESPOND   (leader of the collapsed fetch, or alone)
 *                               └─ LOOKUP …          (follower, after the leader stored, or at once
 *                                                     reading the leader's fill along: HIT ─ RESPOND)
 * </pre>
 *
 * Decisions are the pure rules of {@code http/} and {@link StoragePolicy}; this class only sequences
 * them with I/O. The branch RECEIVED ─ LOOKUP ─ HIT ─ RESPOND for a fresh hit in the memory tier needs
 * no I/O at all: {@link #answerFromMemory} runs it in one synchronous call on the connection, with the
 * same rules ({@code route}, {@code admit}, {@code select}, reuse, {@link ResponseWriter}), before Vert.x
 * builds request objects; every other request, and every request it declines, becomes an Exchange.
 * RFC 9111 §4 (reuse, validation §4.3, invalidation §4.4), RFC 5861 (stale-*), RFC 9211 (Cache-Status
 * on every response).
 *
 * <p>Two tiers: the origin of an edge may be another Outpost node (a regional shield). Upstream
 * Cache-Status entries are kept and ours appended (RFC 9211 §2), CDN-only fields pass through a node
 * that is not {@code outermost}, and a request whose Via already names this node is refused with 508
 * before its lookup (RFC 9110 §7.6.3), so a misrouted tier fails at once instead of recursing.
 */
public final class ProxyPipeline {

    private static final Logger LOG = LoggerFactory.getLogger(ProxyPipeline.class);
    private static final Logger ACCESS = LoggerFactory.getLogger("outpost.access");
    private static final Set<String> SAFE_METHODS = Set.of("GET", "HEAD", "OPTIONS", "TRACE");
    private static final Handler<Buffer> DISCARD = b -> { };
    private static final AsciiString HOST = AsciiString.cached("Host");

    /** Settings of the pipeline itself. */
    /**
     * @param outermost             this node answers clients directly: CDN-only fields (the targeted
     *                              fields, Surrogate-Control) end here instead of passing downstream
     * @param stripSurrogateHeaders at the outermost node, also remove Surrogate-Key, Cache-Tag and Cache-Groups
     * @param originDownHold        how long an origin that just failed is not asked to validate a stale
     *                              response stale-if-error covers ({@link OriginHold}; zero: always asked)
     * @param acceptEncoding        the normal form every forwarded Accept-Encoding takes ({@link AcceptEncoding#OFF}:
     *                              sent as the client did)
     * @param readAlongLimit        the largest body (by Content-Length) read along in a heap copy while it fills
     *                              ({@link FillInProgress}), made when requests wait at its head (0: never; they
     *                              read the storage's growing body, when it offers one, or wait for the store)
     */
    public record Settings(String nodeId, boolean outermost, boolean stripSurrogateHeaders, boolean accessLog,
            List<String> targetedFields, Duration originDownHold, AcceptEncoding acceptEncoding,
            long readAlongLimit) {
    }

    /** Cache-Status detail of a response read along another request's fill (RFC 9211 §2.8). */
    static final String READ_ALONG_DETAIL = "read-along";
    /** How many objects of the largest size read along all fills read along may hold at once. */
    private static final int READ_ALONG_OBJECTS = 4;

    /**
     * A fill in progress as followers read it along: the entry being stored, a heap copy of its body if one is
     * made, and the writer storing it (which knows whether a purge has overtaken it, and offers the storage's
     * growing body while the storage still has the object: for any request, ranges too, by range when its length
     * is known, else whole, as a miss would answer).
     *
     * @param heapCopy a heap copy (made because requests waited at the head), read whole only, by any request
     *                 while the fill streams; or null
     */
    private record ReadAlong(CacheEntry entry, FillInProgress heapCopy, ObjectWriter writer) {
    }

    private final Vertx vertx;
    private final Clock clock;
    private final Settings settings;
    private final OriginRouter router;
    private final CacheKeyPolicy keys;
    private final StoragePolicy storagePolicy;
    private final CacheStorage storage;
    private final CacheLock lock;
    private final OriginClient origins;
    private final EdgeMetrics metrics;
    private final ResponseWriter writer;
    private final Set<String> neverSent;
    private final String via;
    private final Set<String> revalidating = ConcurrentHashMap.newKeySet();
    /** Fills in progress that collapsed requests may read along, by lock key (see {@link ReadAlong}). */
    private final ConcurrentHashMap<String, ReadAlong> readAlong = new ConcurrentHashMap<>();
    /** Bytes held by fills read along now, at most {@link #READ_ALONG_OBJECTS} × readAlongLimit. */
    private final AtomicLong readAlongBytes = new AtomicLong();
    private final OriginHold held;
    /** The highest purge sequence this node has applied with all before it ({@code lastApplied}). */
    private final LongSupplier purgesApplied;

    public ProxyPipeline(Vertx vertx, Clock clock, Settings settings, OriginRouter router, CacheKeyPolicy keys,
            StoragePolicy storagePolicy, CacheStorage storage, CacheLock lock, OriginClient origins,
            EdgeMetrics metrics, LongSupplier purgesApplied) {
        this.vertx = vertx;
        this.clock = clock;
        this.settings = settings;
        this.router = router;
        this.keys = keys;
        this.storagePolicy = storagePolicy;
        this.storage = storage;
        this.lock = lock;
        this.origins = origins;
        this.metrics = metrics;
        this.neverSent = neverSent(settings);
        this.writer = new ResponseWriter(neverSent);
        this.via = "1.1 " + settings.nodeId() + " (outpost)";
        this.held = new OriginHold(clock, settings.originDownHold());
        this.purgesApplied = purgesApplied;
        metrics.bindOriginHold(held);
    }

    /** Lower-case names of fields that never leave this node towards clients. */
    private static Set<String> neverSent(Settings settings) {
        Set<String> names = new java.util.HashSet<>();
        if (settings.outermost()) {
            // Surrogate-Control, like the targeted fields, is for the CDN's caches: a shield passes it on to
            // the edges behind it, which honour it too (Edge Architecture 1.0; README "Two tiers")
            names.add("surrogate-control");
            for (String f : settings.targetedFields()) {
                names.add(f.toLowerCase(Locale.ROOT));
            }
            if (settings.stripSurrogateHeaders()) {
                names.add("surrogate-key");
                names.add("cache-tag");
                names.add("cache-groups");
            }
        }
        return Set.copyOf(names);
    }

    public void handle(HttpServerRequest request) {
        new Exchange(request).start();
    }

    /** Background revalidations in flight (stale-while-revalidate). */
    public int revalidationsInFlight() {
        return revalidating.size();
    }

    private <T> Future<T> onContext(CompletableFuture<T> cf, Context ctx) {
        if (cf.isDone() && !cf.isCompletedExceptionally()) {
            return Future.succeededFuture(cf.join());
        }
        Promise<T> p = Promise.promise();
        cf.whenComplete((v, err) -> ctx.runOnContext(x -> {
            if (err != null) {
                p.fail(err);
            } else {
                p.complete(v);
            }
        }));
        return p.future();
    }

    // -------------------------------------------------------------------- rules every path shares

    /** Where a request goes, or why it cannot go anywhere. */
    private sealed interface Routing permits Route, Refusal {
    }

    /** The parts of a routed request's target, its cache key and its origin. */
    private record Route(String scheme, String hostHeader, String pathAndQuery, CacheKey key, Origin origin)
            implements Routing {
    }

    /** A request answered with {@code status} and a message naming the problem. */
    private record Refusal(int status, String message) implements Routing {
    }

    /**
     * RFC 9112 §3.2–3.3 and RFC 9110 §7.2: the effective host and target of a request (origin-form with
     * its single Host, or absolute-form), its cache key and the origin that serves that host; 400 when
     * they are malformed, 421 when no origin is configured for the host.
     *
     * @param hostField the request's Host field, null when it has none; a request with more than one
     *                  never gets here (StrictHttpRequestDecoder refuses it, and the lifecycle checks again)
     */
    private Routing route(String uri, String hostField, boolean ssl) {
        String scheme;
        String host;
        String pathAndQuery;
        if (uri.regionMatches(true, 0, "http://", 0, 7) || uri.regionMatches(true, 0, "https://", 0, 8)) {
            URI parsed;
            try {
                parsed = URI.create(uri);
            } catch (IllegalArgumentException e) {
                return new Refusal(400, "malformed request target");
            }
            if (parsed.getRawAuthority() == null) {
                return new Refusal(400, "malformed request target");
            }
            scheme = parsed.getScheme().toLowerCase(Locale.ROOT);
            host = parsed.getRawAuthority();
            String p = parsed.getRawPath() == null || parsed.getRawPath().isEmpty() ? "/" : parsed.getRawPath();
            pathAndQuery = parsed.getRawQuery() == null ? p : p + "?" + parsed.getRawQuery();
        } else if (uri.startsWith("/")) {
            scheme = ssl ? "https" : "http";
            host = hostField;
            pathAndQuery = uri;
        } else {
            return new Refusal(400, "request target must be origin-form or absolute-form");
        }
        if (host == null || host.isBlank()) {
            return new Refusal(400, "missing Host header");
        }
        if (io.vertx.core.net.HostAndPort.parseAuthority(host, -1) == null) {
            return new Refusal(400, "malformed Host: " + host.replaceAll("[^\\x21-\\x7e]", "?"));
        }
        CacheKey key;
        try {
            key = keys.keyFor(scheme, host, pathAndQuery);
        } catch (IllegalArgumentException e) {
            return new Refusal(400, "malformed Host or request target");
        }
        String hostOnly = key.host(); // normalised once, by the key policy
        int colon = hostOnly.lastIndexOf(':');
        if (colon > 0 && hostOnly.indexOf(']') < colon) {
            hostOnly = hostOnly.substring(0, colon);
        }
        Origin origin = router.route(hostOnly);
        if (origin == null) {
            return new Refusal(421, "no origin is configured for host " + hostOnly);
        }
        return new Route(scheme, host, pathAndQuery, key, origin);
    }

    /** What a routed request may do with the cache, decided before any lookup. */
    private enum Admission {
        /** RFC 9110 §7.6.3: its Via already names this node (508). */
        LOOP,
        /** A method other than GET and HEAD: forwarded, its body piped. */
        UNSAFE_METHOD,
        /** RFC 9111 §5.2.1.7: the cache may not answer, and only-if-cached forbids the origin (504). */
        ONLY_IF_CACHED_REFUSED,
        /** The request forbids reuse (no-store, method override headers, ...): forwarded. */
        BYPASS,
        /** RFC 9111 §3.5: Authorization: forwarded, the answer stored only if the origin allows it. */
        AUTHORIZED,
        /** May be answered from the cache. */
        LOOKUP
    }

    private Admission admit(boolean bodyless, String method, Fields request, CacheControl directives) {
        if (Via.passedThrough(request, settings.nodeId())) {
            return Admission.LOOP;
        }
        if (!bodyless) {
            return Admission.UNSAFE_METHOD;
        }
        NoCacheReason reason = Cacheability.checkRequest(method, request, directives);
        boolean authorized = request.has("Authorization");
        if ((reason != null || authorized) && directives.onlyIfCached()) {
            return Admission.ONLY_IF_CACHED_REFUSED;
        }
        if (reason != null) {
            return Admission.BYPASS;
        }
        return authorized ? Admission.AUTHORIZED : Admission.LOOKUP;
    }

    /** RFC 9111 §4.1: the newest stored variant whose Vary fields match the forwarded request. */
    private static StoredObject select(List<StoredObject> variants, Supplier<Fields> forwarded) {
        for (int i = 0; i < variants.size(); i++) { // lists of lookups are random-access: no iterator per hit
            StoredObject o = variants.get(i);
            List<String> names = o.entry().varyNames();
            if (names.isEmpty()) {
                return o;
            }
            if (!Vary.isStar(names) && Vary.variantKey(forwarded.get(), names).equals(o.entry().variantKey())) {
                return o;
            }
        }
        return null;
    }

    /**
     * The fields as the origin would see them (Connection-nominated and untrusted fields removed,
     * forwarding fields set by us): Vary selection and storability are judged on these.
     */
    private Fields forwardedView(Fields request, String clientIp, boolean ssl, String hostHeader) {
        return new MultiMapFields(ForwardHeaders.upstreamRequest(request, clientIp, ssl ? "https" : "http",
                hostHeader, via, false, settings.acceptEncoding()));
    }

    /**
     * The age a reuse decision sees: a soft-purged entry is decided as already stale (never FRESH), so
     * stale-while-revalidate serves it and revalidates in the background, anything else validates first.
     */
    private static long decisionAge(CacheEntry entry, long age) {
        return entry.invalidated() ? Reuse.invalidatedAge(entry.policy(), age) : age;
    }

    /** RFC 9211 §2: our entry for a fresh hit that waited on nobody. */
    private CacheStatus freshHit(StoredObject stored, long age) {
        return new CacheStatus(settings.nodeId(), true, null, CacheStatus.NO_STATUS, false, false,
                Reuse.ttl(stored.entry().policy(), age), stored.tier().label());
    }

    /** RFC 9211 §2: the stored response's Cache-Status (from the caches behind us) with our entry appended. */
    private static String cacheStatusOf(StoredObject stored, CacheStatus ours) {
        return CacheStatus.append(stored.entry().headers().combined("Cache-Status"), ours.toEntry());
    }

    /**
     * {@code cacheStatusOf(stored, freshHit(stored, age))} for an object of the memory tier (the only ones
     * {@link #answerFromMemory} answers), remembered per ttl when no cache behind us added a Cache-Status: the
     * value changes once a second, not once a hit. Slots are indexed by the ttl's low bits and hold the ttl
     * they were made for; a slot made for another ttl is made again.
     */
    private String freshMemoryHitStatus(StoredObject stored, long age) {
        if (stored.entry().headers().first("Cache-Status") != null) {
            return cacheStatusOf(stored, freshHit(stored, age));
        }
        long ttl = Reuse.ttl(stored.entry().policy(), age);
        int slot = (int) (ttl & (FRESH_HIT_STATUS_SLOTS - 1));
        FreshHitStatus known = freshMemoryHitStatuses[slot];
        if (known != null && known.ttl() == ttl) {
            return known.value();
        }
        String value = cacheStatusOf(stored, freshHit(stored, age));
        freshMemoryHitStatuses[slot] = new FreshHitStatus(ttl, value); // racing event loops make equal values
        return value;
    }

    private static final int FRESH_HIT_STATUS_SLOTS = 4096;

    private record FreshHitStatus(long ttl, String value) {
    }

    private final FreshHitStatus[] freshMemoryHitStatuses = new FreshHitStatus[FRESH_HIT_STATUS_SLOTS];

    // -------------------------------------------------------------------- fresh memory hits on the connection

    /**
     * Answers a request on its connection, before Vert.x builds request and response objects for it,
     * when it is a fresh hit in the memory tier; returns false, having changed nothing, for any other
     * request, which then takes the full lifecycle of an {@link Exchange}. The rules are an Exchange's,
     * in its order (route, admission, lookup, Vary selection, reuse, ResponseWriter's answer), so the
     * response is the same byte for byte; only the work around it is less. The only side effect of a
     * declined request is the memory lookup recording an access, as its lookup will again.
     *
     * <p>The caller ({@code StrictHttpRequestDecoder}) offers only complete HTTP/1.1 GET and HEAD requests
     * without a body on a connection that has no other response in flight, and flushes.
     *
     * @param ssl   whether the connection is TLS (the scheme of an origin-form target)
     * @param close the client sent {@code Connection: close}: the response says so too
     */
    public boolean answerFromMemory(ChannelHandlerContext ctx, HttpRequest head, boolean ssl, boolean close) {
        long startNanos = System.nanoTime();
        boolean isHead = head.method() == io.netty.handler.codec.http.HttpMethod.HEAD;
        if (!isHead && head.method() != io.netty.handler.codec.http.HttpMethod.GET) {
            return false;
        }
        if (!(head.headers() instanceof MultiMap headers)) {
            return false; // not from Vert.x's decoder
        }
        // one Host at most: StrictHttpRequestDecoder refused the request otherwise (RFC 9112 §3.2)
        if (!(route(head.uri(), headers.get(HOST), ssl) instanceof Route route)) {
            return false;
        }
        Fields request = new MultiMapFields(headers);
        CacheControl directives = CacheControl.ofRequest(request);
        if (admit(true, head.method().name(), request, directives) != Admission.LOOKUP || behindOnPurges(request)) {
            return false;
        }
        List<StoredObject> variants = storage.lookupInMemory(route.key());
        if (variants.isEmpty()) {
            return false;
        }
        StoredObject stored = select(variants,
                () -> forwardedView(request, clientIp(ctx), ssl, route.hostHeader()));
        if (stored == null || stored.tier() != StoredObject.Tier.MEMORY) {
            return false;
        }
        long age = stored.entry().currentAge(clock.millis());
        if (Reuse.decide(stored.entry().policy(), directives, decisionAge(stored.entry(), age))
                != Reuse.Verdict.FRESH) {
            return false;
        }
        String cacheStatus = freshMemoryHitStatus(stored, age);
        List<Object> response = new ArrayList<>(3);
        ResponseWriter.Encoded sent;
        try {
            sent = writer.encode(request, isHead, stored, age, cacheStatus, via, close, !ssl, HEAD_BUFFERS, response);
            if (sent == null) {
                return false; // a body the lifecycle reads instead (in a file, on a TLS connection; or just dropped)
            }
        } catch (RuntimeException bug) {
            response.forEach(io.netty.util.ReferenceCountUtil::release);
            LOG.error("encoding the stored response for {} failed; the full lifecycle answers instead", route.key(),
                    bug);
            return false;
        }
        CorkedFileWrite.write(ctx, response);
        // written: from here on nothing may make the caller hand the request on as well
        try {
            metrics.request(Outcome.HIT, TierLabel.MEMORY);
            metrics.fastMemoryHit();
            metrics.bytesServed(TierLabel.MEMORY, sent.bodyBytes());
            if (settings.accessLog()) {
                AccessLog.write(ACCESS, clientIp(ctx), head.method().name(), headers.get(HOST), head.uri(),
                        sent.status(), -1, cacheStatus, sent.bodyBytes(),
                        (System.nanoTime() - startNanos) / 1_000_000.0, Outcome.HIT);
            }
        } catch (RuntimeException bug) {
            LOG.error("recording the hit on {} failed", route.key(), bug);
        }
        return true;
    }

    /**
     * Where a fresh hit's head is encoded: Netty's pooled allocator, whose direct buffers take bytes by
     * {@code Unsafe} copies. The channel's own (Netty 4.2's adaptive allocator) makes a fresh NIO view of
     * its chunk for the first bulk write into each buffer it hands out, ~90 bytes of garbage per hit
     * (measured with JFR, load-tests/bench/README.md); the pool's per-thread caches serve these small
     * buffers without contention. The body's buffers are unaffected: they are slices of the stored chunks.
     */
    private static final io.netty.buffer.ByteBufAllocator HEAD_BUFFERS = io.netty.buffer.PooledByteBufAllocator.DEFAULT;

    private static String clientIp(ChannelHandlerContext ctx) {
        return ctx.channel().remoteAddress() instanceof InetSocketAddress a && a.getAddress() != null
                ? a.getAddress().getHostAddress() : "unknown";
    }

    /** What kind of origin fetch an exchange performs. */
    private enum FetchMode {
        /** A miss: fetch the full response to store it. */
        MISS,
        /** A stored response must be validated: conditional GET. */
        VALIDATE,
        /** Forwarded as is; the response may still be stored (e.g. Authorization with public). */
        PASS_STORABLE,
        /** Forwarded as is; nothing stored (unsafe methods, no-store, method override, HEAD misses). */
        PASS
    }

    /** One client request. Not thread-safe: everything runs on the request's event loop. */
    private final class Exchange {
        private final HttpServerRequest req;
        private final HttpServerResponse resp;
        private final Context ctx;
        private final long startNanos = System.nanoTime();
        private CachePhase phase = CachePhase.RECEIVED;
        /** The client's header fields: request directives and preconditions are read here. */
        private Fields request;
        /**
         * The fields as the origin will see them (Connection-nominated and untrusted fields removed,
         * forwarding fields set by us): Vary selection and storability are judged on these, since the
         * origin's answer depends on them and not on what it never saw.
         */
        private Fields forwarded;
        private CacheControl directives;
        /**
         * Keeps the body of the stored response this exchange chose readable until the exchange ends (a
         * body held in a file; null for any other), though its tier may drop it meanwhile: a 304 that
         * makes it unstorable, or an eviction during a validation or stale-if-error round trip.
         */
        private StoredBody.FileLease chosenBody;
        /** The response ended or the connection closed: {@link #finished} ran. */
        private boolean over;
        /** The collapsed fetch this exchange leads, released at the latest when the exchange ends. */
        private CacheLock.Fill heldFill;
        /** Set when this request waited on another's fetch: what that fetch was for (RFC 9211 collapsed). */
        private CacheStatus.Fwd collapsedFwd;
        /** Forward the client's Range and preconditions: the answer will not be stored whole anyway. */
        private boolean keepClientPreconditions;
        /** The client's request body may still be unread (the origin never took it). */
        private boolean unreadBody;
        /** The stored response being validated was invalidated by a soft purge; see {@link #fetch}. */
        private boolean validatingPurged;
        /** Metadata updates from this exchange's origin answer, started when its request was sent. */
        private CacheStorage.EntryUpdate entryUpdate;
        private CacheKey key;
        private Origin origin;
        private String scheme;
        private String hostHeader;
        private String pathAndQuery;
        private boolean clientGone;
        private Outcome outcome = Outcome.MISS;
        private TierLabel tier = TierLabel.NONE;
        private int originStatus = -1;
        private String cacheStatus = "";

        Exchange(HttpServerRequest req) {
            this.req = req;
            this.resp = req.response();
            this.ctx = vertx.getOrCreateContext();
        }

        private void move(CachePhase next) {
            phase = phase.moveTo(next);
        }

        /** Leads a collapsed fetch: remembered so that every path, including failures, releases it. */
        private CacheLock.Fill lead(CacheLock.Fill fill) {
            heldFill = fill;
            return fill;
        }

        private void release(CacheLock.Fill fill, CacheLock.Outcome outcome) {
            if (fill != null) {
                fill.release(outcome);
            }
        }

        /** Last resort for a bug on a callback: release the lock, answer 502 if nothing was sent, log it. */
        private void failed(Throwable bug, HttpClientResponse upstream) {
            LOG.error("request for {} failed in phase {}", key, phase, bug);
            release(heldFill, CacheLock.Outcome.FAILED);
            if (upstream != null) {
                upstream.request().reset();
            }
            if (resp.headWritten()) {
                resp.reset();
            } else if (!clientGone) {
                outcome = Outcome.ERROR;
                if (!resp.ended()) { // a stored response's head may have been set up already
                    resp.headers().clear();
                    resp.setChunked(false);
                }
                respondPlain(502, "internal error", entry(false, null, CacheStatus.NO_STATUS, false,
                        CacheStatus.NO_TTL, "edge-error"), true);
            }
        }

        void start() {
            HttpMethod httpMethod = req.method();
            boolean bodyless = httpMethod == HttpMethod.GET || httpMethod == HttpMethod.HEAD;
            if (bodyless) {
                // GET and HEAD bodies are never forwarded; drop whatever the client sent (no pause/resume
                // round trip on the hit path).
                req.handler(DISCARD);
            } else {
                req.pause(); // the origin request pipes the body with back-pressure
            }
            resp.closeHandler(v -> clientGone = true);
            resp.endHandler(v -> finished());
            if (!parseTarget()) {
                return;
            }
            request = new MultiMapFields(req.headers());
            directives = CacheControl.ofRequest(request);
            if (behindOnPurges(request)) {
                directives = directives.withNoCache(); // validate: our copy may be one the node below purged
            }
            switch (admit(bodyless, httpMethod.name(), request, directives)) {
                case LOOP -> {
                    // Refused before the lookup: a looping request must never wait on the fetch it is part of.
                    // Debug only: any client can send such a Via; the access log shows detail=loop-detected.
                    LOG.debug("refused a forwarding loop for {}: Via {} already names {}", key,
                            request.combined("Via"), settings.nodeId());
                    reject(508, "forwarding loop: this request already passed through " + settings.nodeId()
                            + " (Via: " + printable(request.combined("Via"))
                            + "); check the origins of the nodes it names", "loop-detected");
                }
                // The body stays paused: the origin request pipes it with back-pressure.
                case UNSAFE_METHOD -> bypass(CacheStatus.Fwd.METHOD, FetchMode.PASS);
                case ONLY_IF_CACHED_REFUSED -> {
                    // RFC 9111 §5.2.1.7: the cache may not be used, and the client forbids the origin.
                    move(CachePhase.RESPOND);
                    outcome = Outcome.ERROR;
                    respondPlain(504, "only-if-cached: this request cannot be answered from the cache",
                            entry(false, null, CacheStatus.NO_STATUS, false, CacheStatus.NO_TTL, "only-if-cached"),
                            false);
                }
                case BYPASS -> bypass(CacheStatus.Fwd.BYPASS, FetchMode.PASS);
                // RFC 9111 §3.5: never reuse for an authenticated request; store only what the origin allows.
                case AUTHORIZED -> bypass(CacheStatus.Fwd.BYPASS, FetchMode.PASS_STORABLE);
                case LOOKUP -> {
                    move(CachePhase.LOOKUP);
                    lookup(0);
                }
            }
        }

        /** Effective host and target; answers 400/421 itself and returns false when it cannot route. */
        private boolean parseTarget() {
            List<String> hosts = req.headers().getAll(HOST);
            Routing routing = hosts.size() > 1 ? new Refusal(400, "more than one Host header")
                    : route(req.uri(), hosts.isEmpty() ? null : hosts.get(0), req.isSSL());
            if (routing instanceof Refusal refusal) {
                reject(refusal.status(), refusal.message());
                return false;
            }
            Route route = (Route) routing;
            scheme = route.scheme();
            hostHeader = route.hostHeader();
            pathAndQuery = route.pathAndQuery();
            key = route.key();
            origin = route.origin();
            return true;
        }

        private void reject(int status, String message) {
            reject(status, message, "rejected");
        }

        private void reject(int status, String message, String detail) {
            metrics.rejected();
            outcome = Outcome.ERROR;
            req.resume();
            move(CachePhase.RESPOND);
            respondPlain(status, message, entry(false, null, CacheStatus.NO_STATUS, false,
                    CacheStatus.NO_TTL, detail), true);
        }

        // ---------------------------------------------------------------- lookup

        private void lookup(int round) {
            onContext(storage.lookup(key), ctx).onComplete(ar -> {
                if (ar.failed()) {
                    LOG.warn("cache lookup failed for {}; fetching from origin", key, ar.cause());
                    miss(CacheStatus.Fwd.MISS, round);
                    return;
                }
                try {
                    List<StoredObject> variants = ar.result();
                    StoredObject selected = select(variants);
                    if (selected == null) {
                        miss(variants.isEmpty() ? CacheStatus.Fwd.URI_MISS : CacheStatus.Fwd.VARY_MISS, round);
                        return;
                    }
                    decideReuse(selected, round);
                } catch (RuntimeException bug) {
                    failed(bug, null); // answered, not left hanging until the client gives up
                }
            });
        }

        private StoredObject select(List<StoredObject> variants) {
            return ProxyPipeline.select(variants, this::forwarded);
        }

        private void holdChosenBody(StoredObject stored) {
            releaseChosenBody(); // an earlier round's choice
            chosenBody = over ? null : stored.body().leaseFile(); // after the end, nothing would let it go
        }

        private void releaseChosenBody() {
            if (chosenBody != null) {
                chosenBody.close();
                chosenBody = null;
            }
        }

        private void decideReuse(StoredObject stored, int round) {
            holdChosenBody(stored);
            CacheEntry entry = stored.entry();
            long age = entry.currentAge(clock.instant());
            // a soft-purged entry is decided as already stale (never FRESH): stale-while-revalidate serves it
            // and revalidates in the background, anything else validates first
            long decisionAge = decisionAge(entry, age);
            Reuse.Verdict verdict = Reuse.decide(entry.policy(), directives, decisionAge);
            tier = stored.tier() == StoredObject.Tier.MEMORY ? TierLabel.MEMORY : TierLabel.DISK;
            switch (verdict) {
                case FRESH -> {
                    move(CachePhase.HIT);
                    outcome = Outcome.HIT;
                    if (collapsedFwd != null) {
                        serveStored(stored, age, entry(false, collapsedFwd, entry.status(), false,
                                Reuse.ttl(entry.policy(), age), stored.tier().label()));
                    } else {
                        serveStored(stored, age, freshHit(stored, age));
                    }
                }
                case STALE_ACCEPTED -> {
                    move(CachePhase.HIT);
                    outcome = Outcome.STALE;
                    metrics.staleServed();
                    serveStored(stored, age, entry(true, null, CacheStatus.NO_STATUS, false,
                            remaining(entry, decisionAge), stored.tier().label()));
                }
                case STALE_WHILE_REVALIDATE -> {
                    move(CachePhase.HIT);
                    outcome = Outcome.STALE;
                    metrics.staleServed();
                    serveStored(stored, age, entry(true, CacheStatus.Fwd.STALE, CacheStatus.NO_STATUS, false,
                            remaining(entry, decisionAge), stored.tier().label()));
                    try { // best effort: the stale response is on its way whatever happens here
                        if (!held.isHeld(origin, key)) { // a held origin is asked by one request after the hold
                            revalidateInBackground(stored, forwarded(), clientIp(), forwardedProto(), hostHeader,
                                    origin, pathAndQuery);
                        }
                    } catch (RuntimeException bug) {
                        LOG.error("background revalidation of {} could not start", key, bug);
                    }
                }
                case MUST_VALIDATE -> {
                    if (directives.onlyIfCached()) {
                        move(CachePhase.RESPOND);
                        outcome = Outcome.ERROR;
                        respondPlain(504, "only-if-cached: no fresh stored response",
                                entry(false, null, CacheStatus.NO_STATUS, false, CacheStatus.NO_TTL,
                                        "only-if-cached"), false);
                        return;
                    }
                    if (servedWhileHeld(stored)) {
                        return;
                    }
                    boolean freshButRefused = !entry.invalidated() && !entry.policy().noCache()
                            && age < entry.policy().lifetimeSeconds();
                    validatingPurged = entry.invalidated();
                    move(CachePhase.VALIDATE);
                    if (req.method() == HttpMethod.HEAD) {
                        // RFC 9111 §4.3.5: forward the HEAD; its response freshens or invalidates the stored GET.
                        fetch(FetchMode.PASS, null, freshButRefused ? CacheStatus.Fwd.REQUEST : CacheStatus.Fwd.STALE,
                                null);
                        return;
                    }
                    CacheStatus.Fwd fwd = freshButRefused ? CacheStatus.Fwd.REQUEST : CacheStatus.Fwd.STALE;
                    // Concurrent validations of one key collapse like misses do.
                    collapse(fwd, round, fill -> fetch(FetchMode.VALIDATE, stored, fwd, fill), () -> {
                        if (!servedWhileHeld(stored)) { // the leader's validation may just have failed
                            fetch(FetchMode.VALIDATE, stored, fwd, null);
                        }
                    }, () -> answerOriginFailure(true, stored, fwd));
                }
                default -> throw new IllegalStateException("unknown verdict " + verdict);
            }
        }

        /**
         * RFC 5861 §4 on an origin that failed moments ago ({@link OriginHold}): serves {@code stored} as if
         * the origin had been asked and had failed again, when stale-if-error covers it without an attempt
         * ({@link Reuse#staleIfErrorAllowsWithoutAsking}). False, with nothing done, otherwise.
         */
        private boolean servedWhileHeld(StoredObject stored) {
            CacheEntry entry = stored.entry();
            long age = entry.currentAge(clock.instant());
            long decisionAge = decisionAge(entry, age);
            if (req.method() != HttpMethod.GET
                    || !Reuse.staleIfErrorAllowsWithoutAsking(entry.policy(), directives, decisionAge)
                    || !held.isHeld(origin, key)) { // last: a false answer may be this request's turn to ask
                return false;
            }
            if (phase == CachePhase.LOOKUP) {
                move(CachePhase.HIT);
            }
            outcome = Outcome.STALE;
            metrics.staleServed();
            metrics.staleServedOriginHeld();
            serveStored(stored, age, entry(true, null, CacheStatus.NO_STATUS, false,
                    remaining(entry, decisionAge), "origin-held"));
            return true;
        }

        // ---------------------------------------------------------------- miss and collapsing

        private void miss(CacheStatus.Fwd fwd, int round) {
            move(CachePhase.MISS);
            if (directives.onlyIfCached()) {
                move(CachePhase.RESPOND);
                outcome = Outcome.ERROR;
                respondPlain(504, "only-if-cached: nothing stored for this request",
                        entry(false, null, CacheStatus.NO_STATUS, false, CacheStatus.NO_TTL, "only-if-cached"), false);
                return;
            }
            if (req.method() == HttpMethod.HEAD) {
                fetch(FetchMode.PASS, null, fwd, null);
                return;
            }
            collapse(fwd, round, fill -> fetch(FetchMode.MISS, null, fwd, fill), () -> {
                keepClientPreconditions = true;
                fetch(FetchMode.MISS, null, fwd, null);
            }, () -> answerOriginFailure(true, null, fwd));
        }

        /**
         * Leads the one origin fetch for this key, or waits for the leader and looks up again. A key
         * known to be uncacheable, a third round, a timed-out wait or a leader that could not store
         * all lead to {@code alone}: this request fetches for itself. A leader whose origin did not answer in
         * time leads to {@code leaderTimedOut} (this request answers as the leader did) when this request waited
         * for it about as long as it would have for its own fetch, else to another lookup (one of the late ones
         * leads the next fetch).
         */
        private void collapse(CacheStatus.Fwd fwd, int round, java.util.function.Consumer<CacheLock.Fill> leader,
                Runnable alone, Runnable leaderTimedOut) {
            String lockKey = key.asString();
            if (round >= 2 || lock.isMarkedUncacheable(lockKey)) {
                alone.run();
                return;
            }
            CacheLock.Ticket ticket = lock.acquire(lockKey);
            if (ticket instanceof CacheLock.Fill fill) {
                leader.accept(lead(fill));
                return;
            }
            metrics.collapsedWait();
            collapsedFwd = fwd;
            long waitStarted = System.nanoTime();
            CacheLock.Wait wait = (CacheLock.Wait) ticket;
            boolean[] settled = {false}; // read along, or acted on the outcome: whichever came first
            onContext(wait.head(), ctx).onComplete(head -> {
                try {
                    if (!clientGone && !settled[0] && readAlong(lockKey)) {
                        settled[0] = true;
                    }
                } catch (RuntimeException bug) {
                    settled[0] = true;
                    failed(bug, null); // answered, not left hanging until the client gives up
                }
            });
            onContext(wait.outcome(), ctx).onComplete(ar -> {
                if (clientGone || settled[0]) {
                    return; // nobody to answer, or answered from the fill; nothing was started
                }
                settled[0] = true;
                if (ar.result() == CacheLock.Outcome.STORED) {
                    move(CachePhase.LOOKUP);
                    lookup(round + 1);
                    return;
                }
                if (ar.result() == CacheLock.Outcome.TIMED_OUT) {
                    if (lock.sharesTimeout((System.nanoTime() - waitStarted) / 1_000_000)) {
                        metrics.collapsedOriginTimeout();
                        leaderTimedOut.run(); // collapsed: the answer is the leader's (RFC 9211 §2.7)
                    } else {
                        collapsedFwd = null; // what it answers with will be its own fetch's, or a new leader's
                        move(CachePhase.LOOKUP); // came late: asks, behind one new leader with the other late ones
                        lookup(round + 1);
                    }
                    return;
                }
                if (ar.failed()) {
                    metrics.collapseTimeout();
                }
                collapsedFwd = null; // it waited, but what it answers with is its own (RFC 9211 §2.7)
                alone.run();
            });
        }

        /**
         * Serves the fill the leader offers to read along, if it offers one and it answers this request as a
         * fresh stored response would (same variant, fresh for this request's directives; a range only from a
         * growing body), the storage still has it, and no purge since the fill began matches it (the request then
         * waits for the fill's fenced outcome); false, having done nothing, otherwise.
         */
        private boolean readAlong(String lockKey) {
            ReadAlong offered = readAlong.get(lockKey);
            if (offered == null || offered.writer().overtakenByPurge()) {
                return false;
            }
            StoredBody body = offered.heapCopy() != null && !request.has("Range") ? offered.heapCopy()
                    : offered.writer().growingBody(); // asked now: null once the storage gave the object up (wait)
            StoredObject along = body == null ? null : new StoredObject(offered.entry(), body, StoredObject.Tier.FILL);
            if (along == null || select(List.of(along)) == null) {
                return false;
            }
            CacheEntry entry = along.entry();
            long age = entry.currentAge(clock.instant());
            if (Reuse.decide(entry.policy(), directives, decisionAge(entry, age)) != Reuse.Verdict.FRESH) {
                return false;
            }
            metrics.collapsedReadAlong();
            move(CachePhase.LOOKUP); // as a follower woken by a stored answer looks it up, and finds it fresh
            move(CachePhase.HIT);
            releaseChosenBody(); // a stale copy this request was validating: the fill answers instead
            outcome = Outcome.HIT;
            tier = body.onDisk() ? TierLabel.DISK : TierLabel.MEMORY;
            serveStored(along, age, entry(false, collapsedFwd, entry.status(), false,
                    Reuse.ttl(entry.policy(), age), READ_ALONG_DETAIL));
            return true;
        }

        private void bypass(CacheStatus.Fwd fwd, FetchMode mode) {
            move(CachePhase.BYPASS);
            outcome = Outcome.BYPASS;
            fetch(mode, null, fwd, null);
        }

        // ---------------------------------------------------------------- origin fetch

        private void fetch(FetchMode mode, StoredObject stale, CacheStatus.Fwd fwd, CacheLock.Fill fill) {
            move(CachePhase.FETCH);
            boolean get = req.method() == HttpMethod.GET;
            boolean storing = mode == FetchMode.MISS || mode == FetchMode.VALIDATE;
            boolean dropPreconditions = mode == FetchMode.VALIDATE || (storing && get && !keepClientPreconditions);
            MultiMap headers = ForwardHeaders.upstreamRequest(request, clientIp(), forwardedProto(), hostHeader, via,
                    dropPreconditions, settings.acceptEncoding());
            stampPurgesApplied(headers, request);
            HttpMethod upstreamMethod = mode == FetchMode.VALIDATE ? HttpMethod.GET : req.method();
            if (mode == FetchMode.VALIDATE) {
                Conditional.validatorsFor(stale.entry().headers()).forEach(headers::set);
            }
            if (validatingPurged) {
                // A purged object is validated with the origin itself, not with a cache in between: a
                // shield that has not applied the purge yet would confirm its own old copy (RFC 9111
                // §5.2.1.4 no-cache makes it validate too). Clients may send the same directive (this
                // edge honours it), so this grants nothing a client could not already ask for.
                headers.set("Cache-Control", "no-cache");
            }
            entryUpdate = storage.startEntryUpdate(); // before sending: purges from now on win over the answer
            boolean getOrHead = req.method() == HttpMethod.GET || req.method() == HttpMethod.HEAD;
            boolean hasBody = !getOrHead && declaresBody();
            if (!hasBody) {
                headers.remove("Content-Length");
                if (!getOrHead) {
                    req.resume(); // nothing to read but the end of the request
                }
            } else if ("100-continue".equalsIgnoreCase(request.first("Expect"))) {
                resp.writeContinue(); // RFC 9110 §10.1.1: we want the body; the origin never sees Expect
            }
            unreadBody = hasBody;
            Instant requestTime = clock.instant();
            long sentAt = System.nanoTime();
            origins.send(origin, key, upstreamMethod, pathAndQuery, headers, hasBody ? req : null).onComplete(ar -> {
                metrics.originLatency().record(System.nanoTime() - sentAt, TimeUnit.NANOSECONDS);
                if (storing && !hasBody) { // the edge's own requests, not a client's pass-through
                    held.outcome(origin, key, statusOf(ar));
                }
                if (ar.failed()) {
                    originFailed(ar.cause(), stale, fwd, fill);
                    return;
                }
                unreadBody = false;
                try {
                    originResponded(ar.result(), mode, stale, fwd, fill, requestTime, upstreamMethod);
                } catch (RuntimeException bug) {
                    failed(bug, ar.result());
                }
            });
        }

        private void originFailed(Throwable cause, StoredObject stale, CacheStatus.Fwd fwd, CacheLock.Fill fill) {
            metrics.originError();
            boolean timeout = OriginClient.isTimeout(cause);
            if (fill != null) {
                fill.release(timeout ? CacheLock.Outcome.TIMED_OUT : CacheLock.Outcome.FAILED);
            }
            LOG.debug("origin {} failed for {}: {}", origin, key, cause.toString());
            answerOriginFailure(timeout, stale, fwd);
        }

        /**
         * Answers a request whose origin fetch failed (its own, or, {@code timeout}, the leader's it waited for):
         * stale-if-error when {@code stale} allows (RFC 5861 §4), else 504 for a timeout, 502 otherwise.
         */
        private void answerOriginFailure(boolean timeout, StoredObject stale, CacheStatus.Fwd fwd) {
            if (clientGone) {
                return;
            }
            if (stale != null) {
                long age = stale.entry().currentAge(clock.instant());
                if (staleIfErrorAllows(stale, age)) {
                    serveStaleOnError(stale, age);
                    return;
                }
            }
            move(CachePhase.RESPOND);
            outcome = Outcome.ERROR;
            if (resp.headWritten()) {
                resp.reset();
                return;
            }
            respondPlain(timeout ? 504 : 502, timeout ? "origin timed out" : "origin unreachable",
                    entry(false, fwd, CacheStatus.NO_STATUS, false, CacheStatus.NO_TTL,
                            timeout ? "origin-timeout" : "origin-unreachable"), unreadBody);
        }

        /**
         * RFC 5861 §4: may the stale response stand in for an error? An invalidated (soft-purged)
         * entry counts as stale however young it is.
         */
        private boolean staleIfErrorAllows(StoredObject stale, long age) {
            CacheEntry e = stale.entry();
            long effectiveAge = e.invalidated() ? Reuse.invalidatedAge(e.policy(), age) : age;
            return Reuse.staleIfErrorAllows(e.policy(), directives, effectiveAge);
        }

        private void serveStaleOnError(StoredObject stale, long age) {
            move(CachePhase.RESPOND);
            outcome = Outcome.STALE;
            metrics.staleServed();
            serveStoredNow(stale, age, entry(true, CacheStatus.Fwd.STALE, originStatus, false,
                    remaining(stale.entry(), age), stale.tier().label()));
        }

        private void originResponded(HttpClientResponse upstream, FetchMode mode, StoredObject stale,
                CacheStatus.Fwd fwd, CacheLock.Fill fill, Instant requestTime, HttpMethod upstreamMethod) {
            Instant responseTime = clock.instant();
            int status = upstream.statusCode();
            originStatus = status;
            Fields upstreamFields = new MultiMapFields(upstream.headers());

            if (mode == FetchMode.VALIDATE && status == 304) {
                discard(upstream);
                if (Conditional.notModifiedApplies(stale.entry().headers(), upstreamFields)) {
                    StoragePolicy.Freshened fresher = storagePolicy.freshen(stale.entry(), upstreamFields, "GET",
                            forwarded(), requestTime, responseTime);
                    boolean kept = fresher.toStore() != null;
                    CompletableFuture<?> written = kept ? entryUpdate.apply(fresher.toStore())
                            : storage.removeVariant(key, stale.entry().variantKey());
                    written.whenComplete((x, err) -> release(fill, kept ? CacheLock.Outcome.STORED
                            : CacheLock.Outcome.FAILED));
                    outcome = Outcome.REVALIDATED;
                    CacheEntry forClient = fresher.forClient();
                    long age = forClient.currentAge(clock.instant());
                    move(CachePhase.RESPOND);
                    serveStoredNow(new StoredObject(forClient, stale.body(), stale.tier()), age,
                            entry(false, fwd, 304, kept, Reuse.ttl(forClient.policy(), age), null));
                    return;
                }
                // The 304 is for another representation: drop ours and fetch in full.
                storage.removeVariant(key, stale.entry().variantKey());
                fetch(FetchMode.MISS, null, fwd, fill);
                return;
            }
            if (stale != null && status >= 500 && status <= 504 && status != 501 && !clientGone) {
                long age = stale.entry().currentAge(clock.instant());
                if (staleIfErrorAllows(stale, age)) {
                    discard(upstream);
                    release(fill, CacheLock.Outcome.FAILED);
                    serveStaleOnError(stale, age);
                    return;
                }
            }

            boolean mayStore = (mode != FetchMode.PASS) && upstreamMethod == HttpMethod.GET;
            StoragePolicy.Decision decision = mayStore
                    ? storagePolicy.decide(key, "GET", forwarded(), status, upstreamFields, requestTime, responseTime,
                            contentLength(upstreamFields))
                    : null;
            ObjectWriter objectWriter = ObjectWriter.DISCARD;
            if (decision != null && decision.storable()) {
                objectWriter = storage.writer(decision.entry());
            }
            boolean storingBody = !objectWriter.isAbandoned();
            if (!storingBody) {
                // A refusal by policy is remembered (hit-for-miss); a server error or a pass is not:
                // the next response may well be storable, and its misses should collapse again.
                boolean policyRefusal = decision != null && status < 500;
                release(fill, policyRefusal ? CacheLock.Outcome.NOT_STORED : CacheLock.Outcome.FAILED);
            }
            if (storingBody) {
                lock.clearUncacheable(key.asString());
            }
            if (stale != null && !storingBody && status < 400) {
                storage.removeVariant(key, stale.entry().variantKey());
            }
            if ((!SAFE_METHODS.contains(req.method().name()) || overridesMethod()) && status < 400) {
                invalidate(upstreamFields); // an override header may have made the origin act as an unsafe method
            }
            if (req.method() == HttpMethod.HEAD && status == 200 && outcome != Outcome.BYPASS) {
                freshenWithHead(upstreamFields, requestTime, responseTime);
            }

            if (clientGone && !storingBody) {
                upstream.request().reset();
                return;
            }
            move(CachePhase.RESPOND);
            if (outcome != Outcome.BYPASS) {
                outcome = mode == FetchMode.VALIDATE ? Outcome.REVALIDATED : Outcome.MISS;
            }
            if (mode == FetchMode.PASS || mode == FetchMode.PASS_STORABLE) {
                outcome = outcome == Outcome.BYPASS ? Outcome.BYPASS : Outcome.PASS;
            }
            MultiMap out = ForwardHeaders.downstreamResponse(upstreamFields, neverSent, via);
            out.remove("Cache-Status");
            cacheStatus = CacheStatus.append(upstreamFields.combined("Cache-Status"),
                    entry(false, fwd, status, storingBody, storingBody
                            ? decision.entry().policy().lifetimeSeconds() - decision.entry().initialAge()
                            : CacheStatus.NO_TTL, null).toEntry());
            out.set("Cache-Status", cacheStatus);

            boolean bodyToClient = req.method() != HttpMethod.HEAD;
            if (storingBody && status == 200 && Conditional.notModified(request, decision.entry().headers())) {
                // RFC 9111 §4.3.2: the client's own validator matches what we just fetched.
                resp.setStatusCode(304);
                out.remove("Content-Length");
                out.remove("Content-Type");
                bodyToClient = false;
            } else {
                resp.setStatusCode(status);
            }
            resp.headers().addAll(out);
            if (bodyToClient && !out.contains("Content-Length") && status != 204 && status != 304) {
                resp.setChunked(true);
            }
            // What collapsed requests may read along (ARCHITECTURE §1): a heap copy when requests wait at the head
            // and the body fits one (bounded, see heapCopyFor; every request for the whole body reads it while the
            // fill streams, whatever becomes of the stored copies), and the storage's growing body when it offers
            // one (ranges too, for requests arriving before the head or after; a disk tier's for any size it takes,
            // chunked too, the memory tier's for bodies of known length it takes).
            boolean readAlongable = fill != null && storingBody && status == 200 && upstreamMethod == HttpMethod.GET;
            FillInProgress heapCopy = readAlongable ? heapCopyFor(fill, decision) : null;
            StoredBody growing = readAlongable ? objectWriter.growingBody() : null;
            ReadAlong offer = heapCopy == null && growing == null ? null
                    : new ReadAlong(decision.entry(), heapCopy, objectWriter);
            stream(upstream, objectWriter, fill, bodyToClient, heapCopy, growing, offer);
        }

        /**
         * A heap copy of the fill to read along ({@link FillInProgress}): of a known length within
         * {@code readAlongLimit}, when requests are waiting at its head and the budget has room; else null.
         */
        private FillInProgress heapCopyFor(CacheLock.Fill fill, StoragePolicy.Decision decision) {
            if (fill.followers() == 0) {
                return null;
            }
            long length = decision.entry().bodyLength();
            if (length <= 0 || length > settings.readAlongLimit()) {
                return null;
            }
            if (readAlongBytes.addAndGet(length) > READ_ALONG_OBJECTS * settings.readAlongLimit()) {
                readAlongBytes.addAndGet(-length); // the budget is taken: followers wait for the store
                return null;
            }
            return new FillInProgress(length, () -> readAlongBytes.addAndGet(-length));
        }

        /**
         * Offers {@code offer} to the fill's followers (registered before they learn of the head, so none
         * misses it), then tells them the head is here: they read along, or wait collapse.wait-timeout at most
         * for the fill. Called once the origin's body handlers are in place, so an offer always ends.
         */
        private void offerReadAlong(CacheLock.Fill fill, ReadAlong offer) {
            if (offer != null) {
                readAlong.put(key.asString(), offer);
            }
            if (fill != null) {
                fill.headReceived();
            }
        }

        /** The fill offered as {@code offer} ended or failed: later followers wait for its outcome. */
        private void endReadAlong(ReadAlong offer) {
            if (offer != null) {
                readAlong.remove(key.asString(), offer);
            }
        }

        /**
         * Streams the origin's body to the storage and the client. The fill waits for the storage (its
         * back-pressure) and, as long as it keeps up, for the client; a client that falls behind holds it
         * back unless the fill can go on without it: with a heap copy read along ({@code along}: the client's
         * queue holds at most the rest of that bounded body) or a growing body in storage ({@code growing}: the
         * client is then served the rest from it, at its own pace, and the origin's body goes to the storage
         * alone, as Varnish's streaming and Traffic Server's read-while-writer do).
         */
        private void stream(HttpClientResponse upstream, ObjectWriter objectWriter, CacheLock.Fill fill,
                boolean bodyToClient, FillInProgress along, StoredBody growing, ReadAlong offer) {
            releaseChosenBody(); // the origin's body is the answer now: the stored one will not be served
            boolean[] toClient = {bodyToClient && !clientGone};
            long[] sentToClient = {0};
            UpstreamFlow flow = new UpstreamFlow(upstream, ctx);
            resp.closeHandler(v -> {
                clientGone = true;
                if (toClient[0]) {
                    toClient[0] = false;
                    if (objectWriter.isAbandoned() && along == null) {
                        upstream.request().reset();
                    } else {
                        flow.clientGone(); // keep filling the cache: not tied to this client
                    }
                }
            });
            if (!toClient[0] && !clientGone) {
                resp.end();
            }
            upstream.handler((Buffer buf) -> {
                if (along != null) {
                    along.append(((BufferInternal) buf).getByteBuf().nioBuffer());
                }
                if (!objectWriter.isAbandoned()) {
                    objectWriter.write(((BufferInternal) buf).getByteBuf().nioBuffer());
                    flow.afterStorageWrite(objectWriter);
                }
                if (toClient[0]) {
                    resp.write(buf);
                    sentToClient[0] += buf.length();
                    if (along != null) {
                        return; // read along a heap copy: the fill does not wait for this client (see above)
                    }
                    StoredBody growingNow = growing == null || !resp.writeQueueFull() ? null
                            : objectWriter.growingBody(); // asked now: null once the storage gave the object up
                    long length = growingNow == null ? 0 : growingNow.length(); // -1: not known (chunked)
                    if (growingNow != null && (length < 0 || sentToClient[0] < length)) {
                        toClient[0] = false; // from here the client reads the growing body, the origin fills alone
                        metrics.clientReadsAlong();
                        ResponseWriter.continueBody(ctx, resp,
                                growingNow.open(sentToClient[0], length < 0 ? Long.MAX_VALUE : length - 1))
                                .onFailure(err -> LOG.debug("reading {} along its fill failed part-way ({});"
                                        + " response cut", key, err.toString()));
                        return;
                    }
                    flow.afterClientWrite(resp);
                } else if (objectWriter.isAbandoned() && along == null) {
                    upstream.request().reset();
                }
            });
            upstream.exceptionHandler(err -> {
                if (along != null) {
                    along.fail("the origin's body failed: " + err);
                }
                endReadAlong(offer);
                objectWriter.abort();
                if (fill != null) {
                    fill.release(CacheLock.Outcome.FAILED);
                }
                LOG.debug("origin body failed for {}: {}", key, err.toString());
                if (toClient[0] && !resp.ended()) {
                    resp.reset();
                }
                toClient[0] = false;
            });
            upstream.endHandler(v -> {
                if (along != null) {
                    along.end();
                }
                endReadAlong(offer);
                CompletableFuture<Boolean> committed = objectWriter.isAbandoned()
                        ? CompletableFuture.completedFuture(false) : objectWriter.commit();
                committed.whenComplete((stored, err) -> {
                    if (fill != null) {
                        fill.release(Boolean.TRUE.equals(stored) ? CacheLock.Outcome.STORED
                                : CacheLock.Outcome.NOT_STORED);
                    }
                });
                if (toClient[0] && !resp.ended()) {
                    resp.end();
                }
            });
            offerReadAlong(fill, offer);
            upstream.resume();
        }

        private void discard(HttpClientResponse upstream) {
            upstream.handler(b -> { });
            upstream.exceptionHandler(e -> { });
            upstream.resume();
        }

        /** RFC 9111 §4.4: a non-error response to an unsafe method invalidates the URI and same-host Location/Content-Location. */
        private void invalidate(Fields upstreamFields) {
            storage.remove(key);
            for (String field : List.of("Location", "Content-Location")) {
                String value = upstreamFields.first(field);
                if (value == null) {
                    continue;
                }
                try {
                    URI base = URI.create(scheme + "://" + hostHeader + pathAndQuery);
                    URI target = base.resolve(value.trim());
                    CacheKey other = keys.keyForAbsolute(target);
                    if (other.host().equals(key.host())) {
                        storage.remove(other);
                    }
                } catch (IllegalArgumentException e) {
                    LOG.debug("ignoring unparsable {} {}", field, value);
                }
            }
        }

        /** RFC 9111 §4.3.5: a HEAD 200 freshens the matching stored GET response, or invalidates it. */
        private void freshenWithHead(Fields head, Instant requestTime, Instant responseTime) {
            storage.lookup(key).thenAccept(variants -> {
                StoredObject match = select(variants);
                if (match == null) {
                    return;
                }
                if (Conditional.headResponseMatches(match.entry().headers(), head)) {
                    StoragePolicy.Freshened f = storagePolicy.freshen(match.entry(), head, "GET", forwarded(),
                            requestTime, responseTime);
                    if (f.toStore() != null) {
                        entryUpdate.apply(f.toStore());
                    } else {
                        storage.removeVariant(key, match.entry().variantKey());
                    }
                } else {
                    storage.updateEntry(match.entry().asInvalidated());
                }
            });
        }

        // ---------------------------------------------------------------- responding

        private void serveStored(StoredObject stored, long age, CacheStatus status) {
            move(CachePhase.RESPOND);
            serveStoredNow(stored, age, status);
        }

        private void serveStoredNow(StoredObject stored, long age, CacheStatus status) {
            if (clientGone) {
                return;
            }
            cacheStatus = cacheStatusOf(stored, status);
            writer.serve(ctx, req, request, stored, age, cacheStatus, via).onFailure(err -> {
                if (err instanceof StoredBody.BodyDropped) {
                    // dropped by its tier between the lookup and the read: nothing is wrong with storage
                    LOG.debug("stored {} was dropped before it could be read; fetching from the origin", key);
                } else {
                    // A storage read failed (I/O error, corrupt chunk; the tier counted it and logged the
                    // condition once): the stored copy is dropped whatever happens to this response.
                    storage.removeVariant(key, stored.entry().variantKey());
                }
                if (resp.headWritten() || clientGone) {
                    // a body above ResponseWriter.VERIFIED_BEFORE_HEAD failed part-way: the response was
                    // cut; the client sees a short body, never a wrong one
                    LOG.debug("reading stored {} from {} failed after the head was sent ({}); response cut", key,
                            stored.tier().label(), err.toString());
                    return;
                }
                // Nothing was sent: the origin answers instead, and the client never sees an error
                // caused by our disk.
                LOG.debug("reading stored {} from {} failed ({}); fetching from the origin", key,
                        stored.tier().label(), err.toString());
                resp.headers().clear();
                tier = TierLabel.NONE; // served by the origin, not by the tier that failed
                collapsedFwd = null; // its own fetch, not another's (RFC 9211 §2.7)
                releaseChosenBody();
                fetch(FetchMode.MISS, null, CacheStatus.Fwd.MISS, null);
            });
        }

        private void respondPlain(int status, String message, CacheStatus entry, boolean close) {
            if (clientGone || resp.ended()) {
                return;
            }
            cacheStatus = entry.toEntry();
            resp.setStatusCode(status)
                    .putHeader("Date", HttpDate.format(clock.instant()))
                    .putHeader("Content-Type", "text/plain; charset=utf-8")
                    .putHeader("Cache-Control", "no-store")
                    .putHeader("Cache-Status", cacheStatus);
            if (close) {
                resp.putHeader("Connection", "close");
            }
            resp.end(message + "\n");
        }

        /** RFC 9211 §2.5 ttl: freshness left, negative once stale. */
        private long remaining(CacheEntry e, long age) {
            return e.policy().lifetimeSeconds() - age;
        }

        private CacheStatus entry(boolean hit, CacheStatus.Fwd fwd, int fwdStatus, boolean stored, long ttl,
                String detail) {
            return entry(hit, fwd, fwdStatus, stored, ttl, detail, collapsedFwd != null);
        }

        private CacheStatus entry(boolean hit, CacheStatus.Fwd fwd, int fwdStatus, boolean stored, long ttl,
                String detail, boolean collapsed) {
            return new CacheStatus(settings.nodeId(), hit, fwd, fwdStatus, stored, collapsed, ttl, detail);
        }

        /** RFC 9112 §6.3: a request has content only with Transfer-Encoding or a non-zero Content-Length. */
        private boolean declaresBody() {
            if (request.has("Transfer-Encoding")) {
                return true;
            }
            String cl = request.first("Content-Length");
            return cl != null && !cl.trim().equals("0");
        }

        private boolean overridesMethod() {
            return request.has("X-HTTP-Method-Override") || request.has("X-HTTP-Method")
                    || request.has("X-Method-Override");
        }

        /** The forwarded view, built on first use: a hit on an object without Vary never needs it. */
        private Fields forwarded() {
            if (forwarded == null) {
                forwarded = forwardedView(request, clientIp(), req.isSSL(), hostHeader);
            }
            return forwarded;
        }

        /** X-Forwarded-Proto: what the client's connection really was, never what its request claims. */
        private String forwardedProto() {
            return req.isSSL() ? "https" : "http";
        }

        private String clientIp() {
            return req.remoteAddress() == null ? "unknown" : req.remoteAddress().hostAddress();
        }

        /** The client response ended (or the connection closed); a fetch may still be filling the cache. */
        private void finished() {
            over = true;
            releaseChosenBody();
            metrics.request(outcome, tier);
            metrics.bytesServed(tier, resp.bytesWritten());
            if (settings.accessLog()) {
                AccessLog.write(ACCESS, clientIp(), req.method().name(), req.headers().get(HOST), req.uri(),
                        resp.getStatusCode(), originStatus, cacheStatus, resp.bytesWritten(),
                        (System.nanoTime() - startNanos) / 1_000_000.0, outcome);
            }
        }
    }

    /**
     * Purges across tiers: every request this node sends upstream says, in {@link #PURGES_APPLIED}, the
     * highest purge sequence applied below it (its own, or a downstream node's if higher). A node that is
     * not outermost (a shield) and has not applied that far validates instead of answering from its cache:
     * purge-api pushes to every node at once, and an edge that applied a purge before its shield would
     * otherwise store the shield's purged copy again for its whole lifetime. The same validation a client's
     * {@code no-cache} asks for (RFC 9111 §5.2.1.4), so a client sending the field gains nothing new; an
     * outermost node never reads it.
     */
    public static final String PURGES_APPLIED = "Outpost-Purges-Applied";

    /** A downstream Outpost node has applied purges this node has not yet. */
    private boolean behindOnPurges(Fields request) {
        if (settings.outermost()) {
            return false; // clients talk to an outermost node: no purge sequence of theirs means anything
        }
        long theirs = purgeSequence(request.first(PURGES_APPLIED));
        return theirs > purgesApplied.getAsLong();
    }

    private void stampPurgesApplied(MultiMap upstream, Fields request) {
        long received = settings.outermost() ? 0 : purgeSequence(request.first(PURGES_APPLIED));
        long applied = Math.max(purgesApplied.getAsLong(), received);
        if (applied > 0) {
            upstream.set(PURGES_APPLIED, Long.toString(applied));
        } else {
            upstream.remove(PURGES_APPLIED);
        }
    }

    /** A purge sequence (1-18 digits), or 0 for anything else. */
    static long purgeSequence(String value) {
        if (value == null || value.isEmpty() || value.length() > 18) {
            return 0;
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < '0' || c > '9') {
                return 0;
            }
        }
        return Long.parseLong(value);
    }

    /** An origin request's status for {@link OriginHold}, {@link OriginHold#NO_ANSWER} when it got none. */
    private static int statusOf(io.vertx.core.AsyncResult<HttpClientResponse> ar) {
        return ar.succeeded() ? ar.result().statusCode() : OriginHold.NO_ANSWER;
    }

    // -------------------------------------------------------------------- stale-while-revalidate

    /**
     * RFC 5861 §3: one background revalidation per stored variant, with its own timeouts and never
     * cancelled by the client that triggered it.
     */
    private void revalidateInBackground(StoredObject stale, Fields request, String clientIp, String scheme,
            String hostHeader, Origin origin, String pathAndQuery) {
        CacheEntry entry = stale.entry();
        String flight = entry.key().asString() + '\u0000' + entry.variantKey();
        if (!revalidating.add(flight)) {
            return;
        }
        metrics.backgroundRevalidation();
        Context ctx = vertx.getOrCreateContext();
        HeaderFields snapshot = HeaderFields.copyOf(request);
        MultiMap headers = ForwardHeaders.upstreamRequest(snapshot, clientIp, scheme, hostHeader, via, true,
                settings.acceptEncoding());
        stampPurgesApplied(headers, snapshot);
        Conditional.validatorsFor(entry.headers()).forEach(headers::set);
        if (entry.invalidated()) {
            headers.set("Cache-Control", "no-cache"); // a purged object: as in the foreground, see fetch()
        }
        Instant requestTime = clock.instant();
        CacheStorage.EntryUpdate update = storage.startEntryUpdate();
        origins.send(origin, entry.key(), HttpMethod.GET, pathAndQuery, headers, null).onComplete(ar -> {
            held.outcome(origin, entry.key(), statusOf(ar));
            if (ar.failed()) {
                revalidating.remove(flight);
                LOG.debug("background revalidation of {} failed: {}", entry.key(), ar.cause().toString());
                return;
            }
            HttpClientResponse upstream = ar.result();
            Instant responseTime = clock.instant();
            Fields upstreamFields = new MultiMapFields(upstream.headers());
            int status = upstream.statusCode();
            if (status == 304 && Conditional.notModifiedApplies(entry.headers(), upstreamFields)) {
                StoragePolicy.Freshened f = storagePolicy.freshen(entry, upstreamFields, "GET", request, requestTime,
                        responseTime);
                if (f.toStore() != null) {
                    update.apply(f.toStore());
                } else {
                    storage.removeVariant(entry.key(), entry.variantKey());
                }
                upstream.handler(b -> { });
                upstream.endHandler(v -> revalidating.remove(flight));
                upstream.exceptionHandler(e -> revalidating.remove(flight));
                upstream.resume();
                return;
            }
            StoragePolicy.Decision decision = status >= 500 ? null
                    : storagePolicy.decide(entry.key(), "GET", snapshot, status, upstreamFields, requestTime,
                            responseTime, contentLength(upstreamFields));
            ObjectWriter w = decision != null && decision.storable() ? storage.writer(decision.entry())
                    : ObjectWriter.DISCARD;
            if (decision != null && !decision.storable()) {
                storage.removeVariant(entry.key(), entry.variantKey());
            }
            if (w.isAbandoned()) {
                upstream.request().reset();
                revalidating.remove(flight);
                return;
            }
            UpstreamFlow flow = new UpstreamFlow(upstream, ctx);
            upstream.handler(buf -> {
                if (!w.isAbandoned()) {
                    w.write(((BufferInternal) buf).getByteBuf().nioBuffer());
                    flow.afterStorageWrite(w);
                }
            });
            upstream.exceptionHandler(e -> {
                w.abort();
                revalidating.remove(flight);
            });
            upstream.endHandler(v -> w.commit().whenComplete((ok, e) -> revalidating.remove(flight)));
            upstream.resume();
        });
    }

    /**
     * Pauses an origin response while the client or the storage writer cannot take more, and resumes
     * it only when both can (Vert.x write-queue protocol on both sides). Event-loop only: the storage
     * writer's drain handler runs on a storage thread and hops back to {@code ctx} first.
     */
    private static final class UpstreamFlow {
        private final HttpClientResponse upstream;
        private final Context ctx;
        private boolean clientFull;
        private boolean storageFull;

        UpstreamFlow(HttpClientResponse upstream, Context ctx) {
            this.upstream = upstream;
            this.ctx = ctx;
        }

        void afterStorageWrite(ObjectWriter writer) {
            if (storageFull || !writer.writeQueueFull()) {
                return;
            }
            storageFull = true;
            upstream.pause();
            writer.drainHandler(() -> ctx.runOnContext(v -> {
                storageFull = false;
                resumeIfFree();
            }));
        }

        void afterClientWrite(HttpServerResponse resp) {
            if (clientFull || !resp.writeQueueFull()) {
                return;
            }
            clientFull = true;
            upstream.pause();
            resp.drainHandler(v -> {
                clientFull = false;
                resumeIfFree();
            });
        }

        /** The client left: its queue no longer holds the origin back (the storage may still). */
        void clientGone() {
            clientFull = false;
            resumeIfFree();
        }

        private void resumeIfFree() {
            if (!clientFull && !storageFull) {
                upstream.resume();
            }
        }
    }

    /** {@code text} safe to echo in a plain-text error: anything outside visible ASCII becomes '?'. */
    private static String printable(String text) {
        return text.replaceAll("[^\\x20-\\x7e]", "?");
    }

    private static long contentLength(Fields fields) {
        String cl = fields.first("Content-Length");
        if (cl == null) {
            return -1;
        }
        try {
            return Long.parseLong(cl.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
