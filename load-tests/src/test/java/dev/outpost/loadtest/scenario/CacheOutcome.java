package dev.outpost.loadtest.scenario;

import java.util.List;
import org.greenbytes.http.sfv.BooleanItem;
import org.greenbytes.http.sfv.Item;
import org.greenbytes.http.sfv.ListElement;
import org.greenbytes.http.sfv.Parameters;
import org.greenbytes.http.sfv.ParseException;
import org.greenbytes.http.sfv.Parser;

/**
 * What the edge said it did with a request, read from its {@code Cache-Status} entry (RFC 9211: a
 * Structured Fields list, one member per cache, the edge's own appended last, so the last member is
 * the one read). The classes follow README "Cache-Status":
 * <ul>
 * <li>{@link #HIT_MEMORY}, {@link #HIT_DISK}: {@code hit}, {@code detail} says the tier;
 * <li>{@link #STALE}: {@code hit; fwd=stale}, or {@code hit} with a {@code ttl} of 0 or less (RFC 9211 §2.4:
 *     a fresh response has at least a second left):
 *     a stale copy served (stale-while-revalidate, stale-if-error, also without asking an origin that
 *     just failed: {@code detail=origin-held});
 * <li>{@link #REVALIDATED}: {@code fwd=stale} without {@code hit}: validated with (or refetched from)
 *     the origin;
 * <li>{@link #COLLAPSED}: waited for another request's fetch ({@code collapsed});
 * <li>{@link #MISS}: any other {@code fwd} (uri-miss, vary-miss, method, request, ...);
 * <li>{@link #NONE}: no or unreadable header (the edge always sends one: a proxy error upstream of it,
 *     or no response at all).
 * </ul>
 */
enum CacheOutcome {
    HIT_MEMORY, HIT_DISK, STALE, REVALIDATED, COLLAPSED, MISS, NONE;

    /** True when the edge answered from its cache without waiting for the origin (fresh or stale). */
    boolean servedFromCache() {
        return this == HIT_MEMORY || this == HIT_DISK || this == STALE;
    }

    static CacheOutcome of(String cacheStatus) {
        if (cacheStatus == null || cacheStatus.isBlank()) {
            return NONE;
        }
        List<ListElement<? extends Object>> members;
        try {
            members = Parser.parseList(cacheStatus).get();
        } catch (ParseException e) {
            return NONE;
        }
        if (members.isEmpty()) {
            return NONE;
        }
        Parameters params = members.get(members.size() - 1).getParams();
        boolean hit = flag(params, "hit");
        String fwd = token(params, "fwd");
        if (hit) {
            Long ttl = ttl(params);
            if ("stale".equals(fwd) || (ttl != null && ttl <= 0) || "origin-held".equals(token(params, "detail"))) {
                return STALE;
            }
            return "disk".equals(token(params, "detail")) ? HIT_DISK : HIT_MEMORY;
        }
        if (flag(params, "collapsed")) {
            return COLLAPSED;
        }
        if ("stale".equals(fwd)) {
            return REVALIDATED;
        }
        return fwd != null ? MISS : NONE;
    }

    private static boolean flag(Parameters params, String name) {
        Item<?> item = params.get(name);
        return item instanceof BooleanItem b && b.get();
    }

    /** The {@code ttl} parameter, null when absent or not an integer. */
    private static Long ttl(Parameters params) {
        Item<?> item = params.get("ttl");
        return item != null && item.get() instanceof Long n ? n : null;
    }

    private static String token(Parameters params, String name) {
        Item<?> item = params.get(name);
        return item == null || item instanceof BooleanItem ? null : String.valueOf(item.get());
    }
}
