package dev.outpost.edge.cache;

import dev.outpost.edge.http.Cacheability;
import dev.outpost.edge.http.Conditional;
import dev.outpost.edge.http.Fields;
import dev.outpost.edge.http.Freshness;
import dev.outpost.edge.http.HeaderFields;
import dev.outpost.edge.http.HopByHop;
import dev.outpost.edge.http.HttpDate;
import dev.outpost.edge.http.NoCacheReason;
import dev.outpost.edge.http.ResponseControl;
import dev.outpost.edge.http.Reuse;
import dev.outpost.edge.http.Vary;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Turns an origin response into a {@link CacheEntry} or a reason not to store it (RFC 9111 §3 via
 * {@link Cacheability}), and freshens stored entries with 304 or HEAD responses (§4.3.4, §4.3.5).
 * Pure: times are passed in. The one place where the http rules are combined into what the cache keeps.
 */
public final class StoragePolicy {

    /** Outcome of {@link #decide}: exactly one of entry or reason is set. */
    public record Decision(CacheEntry entry, NoCacheReason reason) {
        public boolean storable() {
            return entry != null;
        }
    }

    private final List<String> targetedFields;
    private final Freshness.Heuristic heuristic;

    public StoragePolicy(List<String> targetedFields, Freshness.Heuristic heuristic) {
        this.targetedFields = List.copyOf(targetedFields);
        this.heuristic = heuristic;
    }

    public ResponseControl control(Fields response) {
        return ResponseControl.resolve(response, targetedFields);
    }

    /**
     * @param declaredLength Content-Length of the response, or -1 when unknown (chunked)
     */
    public Decision decide(CacheKey key, String requestMethod, Fields request, int status, Fields response,
            Instant requestTime, Instant responseTime, long declaredLength) {
        ResponseControl control = control(response);
        NoCacheReason reason = Cacheability.checkResponse(requestMethod, request, status, response, control);
        if (reason != null) {
            return new Decision(null, reason);
        }
        List<String> varyNames = Vary.fieldNames(response);
        Set<String> strip = new HashSet<>(HopByHop.namesToRemove(response));
        strip.addAll(Cacheability.fieldsToStrip(control));
        HeaderFields.Builder stored = HeaderFields.builder();
        response.forEach((n, v) -> {
            if (!strip.contains(n.toLowerCase(java.util.Locale.ROOT))) {
                stored.add(n, v);
            }
        });
        if (!response.has("Date")) {
            // RFC 9110 §6.6.1: a recipient caching a response without Date adds the time it received it.
            stored.add("Date", HttpDate.format(responseTime));
        }
        HeaderFields headers = stored.build();
        long lifetime = Freshness.lifetimeSeconds(status, headers, control, heuristic, responseTime);
        long initialAge = Freshness.correctedInitialAge(headers, requestTime, responseTime);
        CacheEntry entry = new CacheEntry(key, Vary.variantKey(request, varyNames), varyNames, status, headers,
                requestTime, responseTime, initialAge, Reuse.Policy.of(control, lifetime), declaredLength, false);
        return new Decision(entry, null);
    }

    /**
     * The result of freshening: what this client gets (the merged response, including fields meant
     * for it alone such as Set-Cookie) and what is stored ({@code null}: the merged response may not
     * be stored any more, e.g. the 304 said {@code no-store} or {@code private}; drop the variant).
     */
    public record Freshened(CacheEntry forClient, CacheEntry toStore) {
    }

    /**
     * §4.3.4: the stored entry freshened by a 304 (or §4.3.5 a HEAD 200) received at
     * {@code responseTime}: headers merged (the update's hop-by-hop fields ignored, a missing Date
     * taken as the receive time), lifetime and age recomputed, a soft-purge mark cleared; then the
     * storing rules of §3 are applied to the merged response again, and the fields that are never
     * stored (Set-Cookie, private="..", no-cache="..") are left out of the stored copy.
     */
    public Freshened freshen(CacheEntry stored, Fields update, String requestMethod, Fields request,
            Instant requestTime, Instant responseTime) {
        Set<String> hop = HopByHop.namesToRemove(update);
        HeaderFields.Builder cleanUpdate = HeaderFields.builder();
        update.forEach((n, v) -> {
            if (!hop.contains(n.toLowerCase(java.util.Locale.ROOT))) {
                cleanUpdate.add(n, v);
            }
        });
        if (!update.has("Date")) {
            cleanUpdate.add("Date", HttpDate.format(responseTime));
        }
        HeaderFields merged = Conditional.freshen(stored.headers(), cleanUpdate.build());
        ResponseControl control = control(merged);
        long lifetime = Freshness.lifetimeSeconds(stored.status(), merged, control, heuristic, responseTime);
        long initialAge = Freshness.correctedInitialAge(merged, requestTime, responseTime);
        CacheEntry forClient = stored.withHeadersAndPolicy(merged, requestTime, responseTime, initialAge,
                Reuse.Policy.of(control, lifetime));
        if (Cacheability.checkResponse(requestMethod, request, stored.status(), merged, control) != null) {
            return new Freshened(forClient, null);
        }
        Set<String> strip = new HashSet<>(Cacheability.fieldsToStrip(control));
        strip.add("set-cookie");
        strip.add("set-cookie2");
        HeaderFields kept = HeaderFields.copyOf(merged).without(strip);
        return new Freshened(forClient, stored.withHeadersAndPolicy(kept, requestTime, responseTime, initialAge,
                Reuse.Policy.of(control, lifetime)));
    }
}
