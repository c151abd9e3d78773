package dev.outpost.purge.fanout;

import dev.outpost.config.EdgeTargetConfig;
import dev.outpost.config.FanoutConfig;
import dev.outpost.purge.PurgeApiMetrics;
import dev.outpost.purge.PurgeStatus;
import dev.outpost.purge.log.Delivery;
import dev.outpost.purge.log.PurgeEntry;
import dev.outpost.purge.log.PurgeLog;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import java.time.InstantSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.DoubleSupplier;

/**
 * Fans every accepted purge out to every configured edge (ARCHITECTURE §4): one {@link EdgeWorker} per edge, all
 * on one Vert.x context of their own (so their state needs no locks and no request handler ever blocks on them),
 * each pushing in sequence order and retrying on its own schedule; a slow or dead edge only delays itself.
 *
 * <p>It also follows each purge accepted by this process until every edge has applied it: that moment feeds
 * the accept-to-all-applied histogram and answers {@code POST /v1/purges?wait=}, which returns once no
 * <em>live</em> edge (see {@link EdgeWorker}) still owes the purge, or when the wait ends, listing the edges
 * that lag. Purges accepted before a restart are delivered all the same (the workers resume from the log) but
 * are not timed. At most {@link #MAX_TRACKED} purges are followed at once; beyond that the oldest are let go
 * (their waiters answered with what is known) so an edge that is down for long costs bounded memory.
 */
public final class FanOut implements EdgeWorker.Progress {

    static final int MAX_TRACKED = 100_000;

    /** What {@code ?wait} answers: the purge's overall status and the edges that have not applied it. */
    public record Outcome(String status, List<String> lagging) {
    }

    private final Vertx vertx;
    private final Context context;
    private final PurgeLog log;
    private final EdgeClient client;
    private final PurgeApiMetrics metrics;
    private final Map<String, EdgeWorker> workers = new LinkedHashMap<>();
    private final TreeMap<Long, Tracker> tracked = new TreeMap<>();
    private final Set<Tracker> awaited = new HashSet<>();

    public FanOut(Vertx vertx, PurgeLog log, List<EdgeTargetConfig> edges, FanoutConfig config, InstantSource clock,
            PurgeApiMetrics metrics, DoubleSupplier random) {
        this.vertx = vertx;
        this.context = vertx.getOrCreateContext();
        this.log = log;
        this.metrics = metrics;
        this.client = new EdgeClient(vertx, config.timeout());
        for (EdgeTargetConfig edge : edges) {
            workers.put(edge.id(), new EdgeWorker(edge, config, client, log, clock, context, this, metrics, random));
        }
    }

    /** Restores every worker from the log (watermarks, delivery records) and starts them. */
    public Future<Void> start() {
        Promise<Void> started = Promise.promise();
        log.resume().whenComplete((resume, error) -> context.runOnContext(v -> {
            if (error != null) {
                started.fail(error);
                return;
            }
            Map<String, Map<Long, Delivery>> byEdge = new HashMap<>();
            for (PurgeLog.StoredDelivery d : resume.deliveries()) {
                byEdge.computeIfAbsent(d.edge(), e -> new HashMap<>()).put(d.sequence(), d.delivery());
            }
            for (EdgeWorker w : workers.values()) {
                w.restore(resume.watermarks().getOrDefault(w.id(), 0L), byEdge.getOrDefault(w.id(), Map.of()));
                w.start();
            }
            started.complete();
        }));
        return started.future();
    }

    /** A purge is durable: follow it and wake every worker. {@code acceptedNanos} is {@link System#nanoTime()}. */
    public void accepted(PurgeEntry entry, long acceptedNanos) {
        context.runOnContext(v -> {
            Tracker t = new Tracker(entry.sequence(), acceptedNanos, new HashSet<>(workers.keySet()));
            workers.values().stream().filter(w -> w.hasApplied(t.sequence)).forEach(w -> t.notApplied.remove(w.id()));
            tracked.put(t.sequence, t);
            while (tracked.size() > MAX_TRACKED) {
                Tracker oldest = tracked.pollFirstEntry().getValue();
                answerWaiters(oldest);
            }
            workers.values().forEach(EdgeWorker::pump);
        });
    }

    /**
     * Completes once no live edge still owes {@code sequence} (applied or given up everywhere it is live), or
     * after {@code wait}. Call after {@link #accepted}.
     */
    public Future<Outcome> await(long sequence, Duration wait) {
        Promise<Outcome> answer = Promise.promise();
        context.runOnContext(v -> {
            Tracker t = tracked.get(sequence);
            if (t == null || waitIsOver(t)) {
                answer.complete(outcome(sequence));
                return;
            }
            Waiter waiter = new Waiter(answer);
            waiter.timer = vertx.setTimer(Math.max(1, wait.toMillis()), id -> {
                t.waiters.remove(waiter);
                if (t.waiters.isEmpty()) {
                    awaited.remove(t);
                }
                answer.tryComplete(outcome(sequence));
            });
            t.waiters.add(waiter);
            awaited.add(t);
        });
        return answer.future();
    }

    /** Every edge as {@code GET /v1/edges} shows it, in configuration order. */
    public Future<JsonArray> edges() {
        Promise<JsonArray> answer = Promise.promise();
        context.runOnContext(v -> {
            JsonArray out = new JsonArray();
            workers.values().forEach(w -> out.add(w.view()));
            answer.complete(out);
        });
        return answer.future();
    }

    /** Stops the workers (what they owe stays in the log) and answers every waiter with what is known. */
    public Future<Void> stop() {
        Promise<Void> stopped = Promise.promise();
        context.runOnContext(v -> {
            workers.values().forEach(EdgeWorker::stop);
            new ArrayList<>(awaited).forEach(this::answerWaiters);
            client.close();
            stopped.complete();
        });
        return stopped.future();
    }

    // ---------------------------------------------------------------- progress from the workers

    @Override
    public void applied(String edge, long sequence) {
        Tracker t = tracked.get(sequence);
        if (t != null) {
            t.notApplied.remove(edge);
            check(t);
        }
    }

    @Override
    public void appliedUpTo(String edge, long from, long to) {
        List<Tracker> touched = new ArrayList<>(tracked.subMap(from, false, to, true).values());
        for (Tracker t : touched) {
            t.notApplied.remove(edge);
            check(t);
        }
    }

    @Override
    public void failed(String edge, long sequence) {
        Tracker t = tracked.get(sequence);
        if (t != null) {
            check(t);
        }
    }

    @Override
    public void livenessChanged() {
        new ArrayList<>(awaited).forEach(this::check);
    }

    private void check(Tracker t) {
        if (t.notApplied.isEmpty()) {
            metrics.allApplied(System.nanoTime() - t.acceptedNanos);
            tracked.remove(t.sequence);
            answerWaiters(t);
        } else if (!t.waiters.isEmpty() && waitIsOver(t)) {
            answerWaiters(t);
        }
    }

    private boolean waitIsOver(Tracker t) {
        for (String edge : t.notApplied) {
            EdgeWorker w = workers.get(edge);
            if (w.awaited() && !w.hasFailed(t.sequence)) {
                return false;
            }
        }
        return true;
    }

    private void answerWaiters(Tracker t) {
        if (t.waiters.isEmpty()) {
            return;
        }
        Outcome outcome = outcome(t.sequence);
        for (Waiter w : t.waiters) {
            vertx.cancelTimer(w.timer);
            w.answer.tryComplete(outcome);
        }
        t.waiters.clear();
        awaited.remove(t);
    }

    private Outcome outcome(long sequence) {
        List<String> lagging = new ArrayList<>();
        boolean pending = false;
        for (EdgeWorker w : workers.values()) {
            if (!w.hasApplied(sequence)) {
                lagging.add(w.id());
                pending |= !w.hasFailed(sequence);
            }
        }
        return new Outcome(PurgeStatus.overall(!lagging.isEmpty(), pending), lagging);
    }

    private static final class Tracker {
        final long sequence;
        final long acceptedNanos;
        final Set<String> notApplied;
        final List<Waiter> waiters = new ArrayList<>(1);

        Tracker(long sequence, long acceptedNanos, Set<String> notApplied) {
            this.sequence = sequence;
            this.acceptedNanos = acceptedNanos;
            this.notApplied = notApplied;
        }
    }

    private static final class Waiter {
        final Promise<Outcome> answer;
        long timer = -1;

        Waiter(Promise<Outcome> answer) {
            this.answer = answer;
        }
    }
}
