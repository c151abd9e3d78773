package dev.outpost.edge.proxy;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Picks the origin for a request by its effective host (the normalised Host, or the authority of an
 * absolute-form target). An exact host wins, then "*". No match: the edge refuses (421), it is never
 * an open proxy.
 */
public final class OriginRouter {

    private final Map<String, Origin> byHost = new HashMap<>();
    private final Origin fallback;

    public OriginRouter(List<Origin> origins) {
        Origin star = null;
        for (Origin o : origins) {
            if ("*".equals(o.host())) {
                star = o;
            } else {
                byHost.put(o.host().toLowerCase(java.util.Locale.ROOT), o);
            }
        }
        this.fallback = star;
    }

    /** The origin for a host without port, or {@code null}. */
    public Origin route(String hostWithoutPort) {
        Origin o = byHost.get(hostWithoutPort);
        return o != null ? o : fallback;
    }
}
