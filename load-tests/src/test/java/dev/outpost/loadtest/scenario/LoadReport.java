package dev.outpost.loadtest.scenario;

import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * What the measured requests of a scenario got, per request name: count, status codes, latency
 * (Gatling's response time, whole milliseconds, in an HdrHistogram), and the edge's
 * {@link CacheOutcome}. Gatling's own report has the latency charts; this adds what only the
 * responses' {@code Cache-Status} can tell (hit ratio, tiers, stale, collapsed) and renders the text
 * summary. Thread-safe: Gatling records from its event loops.
 */
final class LoadReport {

    /** One request name's tallies. */
    static final class Series {
        private final Histogram latencyMillis = new ConcurrentHistogram(3_600_000L, 3);
        private final Map<CacheOutcome, LongAdder> outcomes = new EnumMap<>(CacheOutcome.class);
        private final Map<Integer, LongAdder> statuses = new ConcurrentSkipListMap<>();
        private final LongAdder count = new LongAdder();
        private final LongAdder noResponse = new LongAdder();

        Series() {
            for (CacheOutcome o : CacheOutcome.values()) {
                outcomes.put(o, new LongAdder());
            }
        }

        long count() {
            return count.sum();
        }

        long outcome(CacheOutcome o) {
            return outcomes.get(o).sum();
        }

        long status(int code) {
            LongAdder n = statuses.get(code);
            return n == null ? 0 : n.sum();
        }

        long noResponse() {
            return noResponse.sum();
        }

        Histogram latency() {
            return latencyMillis;
        }

        /** True when some response carried a Cache-Status: requests through the edge, not to purge-api. */
        boolean throughEdge() {
            return outcome(CacheOutcome.NONE) < count();
        }

        private void add(Series other) {
            count.add(other.count());
            noResponse.add(other.noResponse());
            latencyMillis.add(other.latencyMillis);
            other.outcomes.forEach((o, n) -> outcomes.get(o).add(n.sum()));
            other.statuses.forEach((s, n) -> statuses.computeIfAbsent(s, k -> new LongAdder()).add(n.sum()));
        }
    }

    private final Map<String, Series> byName = new ConcurrentHashMap<>();
    private final AtomicLong firstStartNanos = new AtomicLong(Long.MAX_VALUE);
    private final AtomicLong lastEndNanos = new AtomicLong(Long.MIN_VALUE);

    /**
     * Records one response. {@code status} and {@code responseMillis} are null when no response came
     * (connection refused or reset, timeout); {@code cacheStatus} is null when the header was absent.
     */
    void record(String name, Integer status, Integer responseMillis, String cacheStatus) {
        long now = System.nanoTime();
        Series s = byName.computeIfAbsent(name, n -> new Series());
        s.count.increment();
        s.outcomes.get(CacheOutcome.of(cacheStatus)).increment();
        if (status == null) {
            s.noResponse.increment();
        } else {
            s.statuses.computeIfAbsent(status, k -> new LongAdder()).increment();
        }
        long millis = responseMillis == null ? 0 : Math.max(0, responseMillis);
        if (responseMillis != null) {
            s.latencyMillis.recordValue(Math.min(millis, s.latencyMillis.getHighestTrackableValue()));
        }
        firstStartNanos.accumulateAndGet(now - millis * 1_000_000L, Math::min);
        lastEndNanos.accumulateAndGet(now, Math::max);
    }

    Series series(String name) {
        return byName.get(name);
    }

    /** Every request name's tallies added up. */
    Series total() {
        Series total = new Series();
        byName.values().forEach(total::add);
        return total;
    }

    /** The tallies of the request names that went through the edge ({@link Series#throughEdge()}). */
    Series throughEdge() {
        Series total = new Series();
        byName.values().stream().filter(Series::throughEdge).forEach(total::add);
        return total;
    }

    /** Seconds from the start of the first recorded request to the end of the last. */
    double elapsedSeconds() {
        long first = firstStartNanos.get();
        long last = lastEndNanos.get();
        return first == Long.MAX_VALUE ? 0 : Math.max(1e-3, (last - first) / 1e9);
    }

    /** The table of the summary: one row per request name and a total, the Cache-Status breakdown below. */
    String table() {
        StringBuilder sb = new StringBuilder();
        double seconds = elapsedSeconds();
        sb.append(String.format(Locale.ROOT, "%-32s %9s %9s %6s %6s %6s %6s %7s %6s %8s %7s%n", "request", "count",
                "req/s", "p50ms", "p95ms", "p99ms", "p999ms", "max ms", "non2xx", "noresp", "hit %"));
        Map<String, Series> sorted = new TreeMap<>(byName);
        sorted.forEach((name, s) -> row(sb, name, s, seconds));
        if (sorted.size() > 1) {
            row(sb, "all", total(), seconds);
        }
        Series t = throughEdge();
        sb.append(String.format(Locale.ROOT, "%nCache-Status of the %d measured responses through the edge: hit %d "
                        + "(memory %d, disk %d), stale served %d, revalidated %d, collapsed %d, miss %d, "
                        + "no Cache-Status %d%n",
                t.count(), t.outcome(CacheOutcome.HIT_MEMORY) + t.outcome(CacheOutcome.HIT_DISK),
                t.outcome(CacheOutcome.HIT_MEMORY), t.outcome(CacheOutcome.HIT_DISK), t.outcome(CacheOutcome.STALE),
                t.outcome(CacheOutcome.REVALIDATED), t.outcome(CacheOutcome.COLLAPSED), t.outcome(CacheOutcome.MISS),
                t.outcome(CacheOutcome.NONE)));
        sb.append(String.format(Locale.ROOT, "Hit ratio (fresh and stale hits / those responses): %.2f %%%n",
                hitPercent(t)));
        return sb.toString();
    }

    static double hitPercent(Series s) {
        long hits = 0;
        for (CacheOutcome o : CacheOutcome.values()) {
            if (o.servedFromCache()) {
                hits += s.outcome(o);
            }
        }
        return s.count() == 0 ? 0 : 100.0 * hits / s.count();
    }

    private static void row(StringBuilder sb, String name, Series s, double seconds) {
        Histogram h = s.latency();
        long non2xx = 0;
        for (Map.Entry<Integer, LongAdder> e : s.statuses.entrySet()) {
            if (e.getKey() / 100 != 2 && e.getKey() != 304) {
                non2xx += e.getValue().sum();
            }
        }
        sb.append(String.format(Locale.ROOT, "%-32s %9d %9.1f %6d %6d %6d %6d %7d %6d %8d %7s%n", name, s.count(),
                s.count() / seconds, h.getValueAtPercentile(50), h.getValueAtPercentile(95),
                h.getValueAtPercentile(99), h.getValueAtPercentile(99.9), h.getMaxValue(), non2xx, s.noResponse(),
                s.throughEdge() ? String.format(Locale.ROOT, "%.2f", hitPercent(s)) : "-"));
    }
}
