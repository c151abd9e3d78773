package dev.outpost.purge.fanout;

import dev.outpost.config.EdgeTargetConfig;
import dev.outpost.config.FanoutConfig;
import dev.outpost.purge.PurgeApiMetrics;
import dev.outpost.purge.log.Delivery;
import dev.outpost.purge.log.PurgeEntry;
import dev.outpost.purge.log.PurgeLog;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.InstantSource;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.DoubleSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers the log to one edge (ARCHITECTURE §4, docs/purge-protocol.md): pushes purge after purge in sequence
 * order, one at a time, and tracks the edge's {@code lastApplied} (its watermark). Every method runs on the
 * fan-out's Vert.x context, so the state needs no locks; each edge has its own worker, and nothing a worker
 * waits for (its pushes, its timers) holds up another.
 *
 * <h2>Order</h2>
 * The next purge pushed is the lowest sequence above the watermark that this edge has neither applied nor
 * failed; the edge answers with its {@code lastApplied}, which moves the watermark. One push in flight per
 * edge, so the edge receives s before s+1 and never sees a gap because of us: gaps happen only when a push was
 * given up, and then the edge's own catch-up from {@code GET /v1/log} fills them (that is what the protocol's
 * gap rule is for). The watermark only moves up, and never past the log's {@code last}: an edge's answers and
 * probes can arrive out of order, an edge whose store went back catches up from the log on its own, and an edge
 * ahead of the log has seen another one.
 *
 * <h2>Failures</h2>
 * 2xx: applied. 4xx other than 408/429: failed at once (the edge would answer the same again); 401/403 also
 * park the edge, since no push can succeed with that token. 5xx, 408, 429, refused connections and timeouts:
 * retried after a full-jitter backoff ({@link Backoff}); after {@code fanout.max-attempts} the purge is marked
 * failed on this edge and the worker parks: it stops pushing (so a dead edge costs one timer, not a retry
 * schedule per purge) and lets the periodic {@code GET /purge/state} probe find the edge back; then it resumes
 * from the watermark the edge reports, which already covers what the edge caught up on by itself, and pushes
 * again what it gave up on (so an edge without a catch-up source gets it too). Purges the edge refused (4xx)
 * are never pushed again.
 *
 * <h2>Health</h2>
 * {@code up} when the last contact (push or probe) got an answer other than a retryable failure, {@code down}
 * after a retryable failure, {@code rejecting} after 401/403, {@code unknown} before the first contact. An edge
 * is <em>live</em> when up or unknown. {@code ?wait} waits for live edges and for an edge a push is under way
 * to ({@link #awaited}): a {@code down} seen before the purge was accepted (a probe while the edge was still
 * starting, say) is old news, and the answer to that push says whether the edge is live now.
 */
final class EdgeWorker {

    private static final Logger LOG = LoggerFactory.getLogger(EdgeWorker.class);

    /** Health at the last contact. */
    enum Health {
        UNKNOWN, UP, DOWN, REJECTING;

        String wire() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** What the worker reports to the fan-out (on the same context). */
    interface Progress {
        /** {@code sequence} is applied on {@code edge} (individually, above the watermark). */
        void applied(String edge, long sequence);

        /** Every sequence in {@code (from, to]} is applied on {@code edge}. */
        void appliedUpTo(String edge, long from, long to);

        /** {@code sequence} was given up on {@code edge}. */
        void failed(String edge, long sequence);

        void livenessChanged();
    }

    private final EdgeTargetConfig target;
    private final FanoutConfig config;
    private final Backoff backoff;
    private final EdgeClient client;
    private final PurgeLog log;
    private final InstantSource clock;
    private final Vertx vertx;
    private final Context context;
    private final Progress progress;
    private final PurgeApiMetrics metrics;
    private final DoubleSupplier random;

    private volatile long watermark;
    /** Sequences above the watermark this edge applied or failed: never pushed again. */
    private final TreeSet<Long> resolved = new TreeSet<>();
    /** The failed ones among them. */
    private final Set<Long> failedAbove = new HashSet<>();
    /** The failed ones the edge could not be reached for, with their records: pushed again once it answers. */
    private final Map<Long, Delivery> gaveUp = new HashMap<>();
    /** Delivery records of sequences above the watermark with failed attempts (restored after a restart). */
    private final Map<Long, Delivery> partial = new HashMap<>();

    private long currentSequence = -1;
    private int attempts;
    private Instant firstAttemptAt;
    private String currentError;

    private boolean inFlight;
    private long retryTimer = -1;
    private boolean parked;
    private boolean probing;
    private long probeTimer = -1;
    private boolean stopped;
    private boolean warnedAhead;

    private volatile Health health = Health.UNKNOWN;
    private String lastError;
    private Instant lastContactAt;
    private Boolean caughtUp;
    private String node;

    EdgeWorker(EdgeTargetConfig target, FanoutConfig config, EdgeClient client, PurgeLog log, InstantSource clock,
            Context context, Progress progress, PurgeApiMetrics metrics, DoubleSupplier random) {
        this.target = target;
        this.config = config;
        this.backoff = new Backoff(config.initialBackoff(), config.maxBackoff());
        this.client = client;
        this.log = log;
        this.clock = clock;
        this.context = context;
        this.vertx = context.owner();
        this.progress = progress;
        this.metrics = metrics;
        this.random = random;
        metrics.edgeGauges(target.id(), () -> Math.max(0, log.last() - watermark), () -> live() ? 1 : 0);
    }

    String id() {
        return target.id();
    }

    long watermark() {
        return watermark;
    }

    boolean live() {
        return health == Health.UP || health == Health.UNKNOWN;
    }

    /** Whether a {@code ?wait} waits for this edge: it is live, or a push to it is under way. */
    boolean awaited() {
        return live() || inFlight;
    }

    /** Whether {@code sequence} is applied on this edge, as far as the purge-api knows. */
    boolean hasApplied(long sequence) {
        return sequence <= watermark || resolved.contains(sequence) && !failedAbove.contains(sequence);
    }

    /** Whether {@code sequence} was given up on this edge (and not applied since through its catch-up). */
    boolean hasFailed(long sequence) {
        return sequence > watermark && failedAbove.contains(sequence);
    }

    /** Rebuilds the state of a previous run: the stored watermark and the delivery records above it. */
    void restore(long storedWatermark, Map<Long, Delivery> records) {
        watermark = storedWatermark;
        records.forEach((sequence, d) -> {
            if (sequence <= storedWatermark) {
                return;
            }
            switch (d.status()) {
                case APPLIED -> resolved.add(sequence);
                case FAILED -> {
                    if (d.gaveUp()) {
                        partial.put(sequence, d); // a new run tries the edge again
                    } else {
                        resolved.add(sequence);
                        failedAbove.add(sequence);
                    }
                }
                case PENDING -> partial.put(sequence, d);
            }
        });
    }

    /** Probes at once and then every {@code probe-interval}; pushes whatever is owed. */
    void start() {
        probe();
        probeTimer = vertx.setPeriodic(config.probeInterval().toMillis(), t -> probe());
        pump();
    }

    void stop() {
        stopped = true;
        vertx.cancelTimer(probeTimer);
        vertx.cancelTimer(retryTimer);
    }

    /** Pushes the next owed purge unless one is in flight, a retry is scheduled or the worker is parked. */
    void pump() {
        if (stopped || inFlight || retryTimer != -1 || parked) {
            return;
        }
        long sequence = nextSequence();
        if (sequence < 0) {
            return;
        }
        if (sequence != currentSequence) {
            currentSequence = sequence;
            Delivery before = partial.remove(sequence);
            attempts = before == null ? 0 : before.attempts();
            firstAttemptAt = before == null ? null : before.firstAttemptAt();
            currentError = before == null ? null : before.lastError();
        }
        inFlight = true;
        log.entry(sequence).whenComplete((entry, error) -> context.runOnContext(v -> {
            if (stopped) {
                inFlight = false;
                return;
            }
            if (error != null || entry.isEmpty()) {
                inFlight = false;
                if (error != null) {
                    LOG.error("edge {}: cannot read purge {} from the log: {}", id(), sequence, error.toString());
                    scheduleRetry();
                } else {
                    pump(); // dropped by retention meanwhile: nextSequence() starts at first now
                }
                return;
            }
            push(entry.get());
        }));
    }

    /** The lowest sequence above the watermark (and retained) that this edge has neither applied nor failed. */
    private long nextSequence() {
        long s = Math.max(watermark + 1, log.first());
        while (resolved.contains(s)) {
            s++;
        }
        return s <= log.last() ? s : -1;
    }

    private void push(PurgeEntry entry) {
        long sequence = entry.sequence();
        attempts++;
        Instant started = clock.instant();
        if (firstAttemptAt == null) {
            firstAttemptAt = started;
        }
        long t0 = System.nanoTime();
        client.push(target, entry).onComplete(ar -> {
            inFlight = false;
            metrics.push(id(), System.nanoTime() - t0);
            if (stopped) {
                return;
            }
            EdgeAnswer answer = ar.result();
            Instant now = clock.instant();
            lastContactAt = now;
            switch (answer.kind()) {
                case APPLIED -> applied(sequence, answer.lastApplied(), now);
                case PERMANENT -> rejected(sequence, answer, now);
                case RETRYABLE -> retryable(sequence, answer, now);
            }
        });
    }

    private void applied(long sequence, long lastApplied, Instant now) {
        setHealth(Health.UP, null);
        log.recordDelivery(sequence, id(), new Delivery(Delivery.Status.APPLIED, attempts, currentError,
                firstAttemptAt, now, now));
        if (lastApplied >= sequence && lastApplied <= log.last()) {
            advance(lastApplied, now);
        } else {
            // a gap the edge could not fill from the log (this purge is applied, the ones below are not yet),
            // or an edge ahead of the log (see advance)
            resolved.add(sequence);
            progress.applied(id(), sequence);
            advance(lastApplied, now);
        }
        finishCurrent();
        pump();
    }

    private void rejected(long sequence, EdgeAnswer answer, Instant now) {
        boolean credentials = answer.refusedCredentials();
        setHealth(credentials ? Health.REJECTING : Health.UP, answer.error());
        LOG.warn("edge {}: purge {} refused ({}); marked failed{}", id(), sequence, answer.error(),
                credentials ? ", and no more pushes until GET /purge/state accepts the token" : "");
        giveUp(sequence, answer.error(), now, "rejected");
        if (credentials) {
            parked = true;
        } else {
            pump();
        }
    }

    private void retryable(long sequence, EdgeAnswer answer, Instant now) {
        setHealth(Health.DOWN, answer.error());
        currentError = answer.error();
        if (config.maxAttempts().isPresent() && attempts >= config.maxAttempts().getAsInt()) {
            LOG.warn("edge {}: purge {} failed {} times (last: {}); marked failed, the edge catches up from the log; "
                    + "pushes resume once GET /purge/state answers", id(), sequence, attempts, answer.error());
            giveUp(sequence, answer.error(), now, "gave-up");
            parked = true;
            return;
        }
        log.recordDelivery(sequence, id(), new Delivery(Delivery.Status.PENDING, attempts, currentError,
                firstAttemptAt, now, null));
        metrics.retry(id());
        scheduleRetry();
        progress.livenessChanged(); // no push under way any more: waits that waited for this one may end
    }

    private void giveUp(long sequence, String error, Instant now, String reason) {
        Delivery failed = new Delivery(Delivery.Status.FAILED, attempts, error, firstAttemptAt, now, null,
                reason.equals("gave-up"));
        log.recordDelivery(sequence, id(), failed);
        resolved.add(sequence);
        failedAbove.add(sequence);
        if (failed.gaveUp()) {
            gaveUp.put(sequence, failed);
        }
        metrics.failure(id(), reason);
        finishCurrent();
        progress.failed(id(), sequence);
    }

    private void scheduleRetry() {
        long delay = Math.max(1, backoff.delay(Math.max(1, attempts), random.getAsDouble()).toMillis());
        retryTimer = vertx.setTimer(delay, t -> {
            retryTimer = -1;
            pump();
        });
    }

    private void finishCurrent() {
        currentSequence = -1;
        attempts = 0;
        firstAttemptAt = null;
        currentError = null;
    }

    /**
     * Moves the watermark up to {@code lastApplied} (never down), storing and reporting it. A {@code lastApplied}
     * beyond the log's last sequence is ignored: that edge has seen another log (this one was replaced), so its
     * number says nothing about ours; every purge is still pushed to it, and it drops its cache and starts again
     * from our {@code last} once its catch-up sees this log (docs/purge-protocol.md).
     */
    private void advance(long lastApplied, Instant now) {
        if (lastApplied > log.last()) {
            if (!warnedAhead) {
                warnedAhead = true;
                LOG.error("edge {} reports lastApplied {} but the log's last sequence is {}: was the purge log "
                        + "replaced? The edge drops its cache once its catch-up sees this log", id(), lastApplied,
                        log.last());
            }
            return;
        }
        if (lastApplied <= watermark) {
            return;
        }
        long old = watermark;
        watermark = lastApplied;
        resolved.headSet(lastApplied, true).clear();
        failedAbove.removeIf(s -> s <= lastApplied);
        gaveUp.keySet().removeIf(s -> s <= lastApplied);
        partial.keySet().removeIf(s -> s <= lastApplied);
        log.recordAck(id(), lastApplied, now);
        progress.appliedUpTo(id(), old, lastApplied);
    }

    private void probe() {
        if (stopped || probing) {
            return;
        }
        probing = true;
        client.probe(target).onComplete(ar -> {
            probing = false;
            if (stopped) {
                return;
            }
            EdgeClient.Probe probe = ar.result();
            Instant now = clock.instant();
            lastContactAt = now;
            if (probe.state() == null) {
                EdgeAnswer failure = probe.failure();
                boolean down = failure.kind() == EdgeAnswer.Kind.RETRYABLE;
                // a push in flight or scheduled reports its own outcome; a probe only says what it saw
                setHealth(down ? Health.DOWN : failure.refusedCredentials() ? Health.REJECTING : health,
                        failure.error());
                return;
            }
            node = probe.state().node();
            caughtUp = probe.state().caughtUp();
            setHealth(Health.UP, null);
            advance(probe.state().lastApplied(), now);
            if (parked || retryTimer != -1) {
                if (parked) {
                    LOG.info("edge {} answers again (lastApplied {}); resuming pushes{}", id(), watermark,
                            gaveUp.isEmpty() ? "" : ", " + gaveUp.size() + " given up before included");
                    retryGivenUp();
                }
                parked = false;
                vertx.cancelTimer(retryTimer);
                retryTimer = -1;
            }
            pump();
        });
    }

    /** The purges given up while the edge was unreachable become owed again, their attempts kept. */
    private void retryGivenUp() {
        gaveUp.forEach((sequence, record) -> {
            resolved.remove(sequence);
            failedAbove.remove(sequence);
            partial.put(sequence, record);
        });
        gaveUp.clear();
    }

    private void setHealth(Health next, String error) {
        if (error != null) {
            lastError = error;
        }
        Health before = health;
        if (before == next) {
            return;
        }
        health = next;
        if (next == Health.UP) {
            LOG.info("edge {} is up", id());
        } else if (before != Health.UNKNOWN || next != Health.UP) {
            LOG.warn("edge {} is {}: {}", id(), next.wire(), lastError);
        }
        if ((before == Health.UP || before == Health.UNKNOWN) != live()) {
            progress.livenessChanged();
        }
    }

    /** The edge as {@code GET /v1/edges} shows it. */
    JsonObject view() {
        long last = log.last();
        String state = stopped ? "stopped" : parked ? "parked" : inFlight ? "pushing" : retryTimer != -1
                ? "backing-off" : nextSequence() < 0 ? "idle" : "pushing";
        return new JsonObject()
                .put("id", id())
                .put("region", target.region())
                .put("adminUrl", target.adminUrl().toString())
                .put("health", health.wire())
                .put("live", live())
                .put("lastApplied", watermark)
                .put("lag", Math.max(0, last - watermark))
                .put("caughtUp", caughtUp)
                .put("node", node)
                .put("delivery", state)
                .put("failedAbove", failedAbove.size())
                .put("lastContactAt", Optional.ofNullable(lastContactAt).map(Instant::toString).orElse(null))
                .put("lastError", lastError);
    }
}
