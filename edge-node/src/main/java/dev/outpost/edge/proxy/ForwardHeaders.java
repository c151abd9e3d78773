package dev.outpost.edge.proxy;

import dev.outpost.edge.http.AcceptEncoding;
import dev.outpost.edge.http.Fields;
import dev.outpost.edge.http.HopByHop;
import io.vertx.core.MultiMap;
import java.util.Locale;
import java.util.Set;

/**
 * The header fields an edge sends upstream and downstream (RFC 9110 §7.6: hop-by-hop fields removed,
 * §7.6.3 Via appended). Upstream, the edge sets X-Forwarded-For/-Proto/-Host itself from what it
 * saw on the connection: client copies are dropped, never trusted or appended to, as are
 * X-Original-URL, X-Rewrite-URL and X-Host (they make some frameworks route to another path than
 * the one we keyed the cache on). Accept-Encoding is sent in its normal form when normalisation is on
 * ({@link AcceptEncoding}).
 */
public final class ForwardHeaders {

    /** Precondition and range fields removed when a miss is fetched to be stored whole. */
    /** Request fields an edge consumes itself. */
    private static final Set<String> CONSUMED = Set.of("expect");

    public static final Set<String> CLIENT_CONDITIONALS = Set.of("if-none-match", "if-modified-since", "if-match",
            "if-unmodified-since", "if-range", "range");

    private ForwardHeaders() {
    }

    /**
     * @param acceptEncoding replaces the client's Accept-Encoding by its normal form, when it has one
     *                       ({@link AcceptEncoding}): the cache matches Vary against what the origin is sent
     */
    public static MultiMap upstreamRequest(Fields client, String clientIp, String scheme, String host, String via,
            boolean dropConditionals, AcceptEncoding acceptEncoding) {
        Set<String> drop = HopByHop.namesToRemove(client);
        String normalEncoding = acceptEncoding.isOn() && client.has("Accept-Encoding")
                && !drop.contains("accept-encoding") ? acceptEncoding.normalise(client.all("Accept-Encoding")) : null;
        MultiMap out = MultiMap.caseInsensitiveMultiMap();
        client.forEach((name, value) -> {
            String lower = name.toLowerCase(Locale.ROOT);
            if (drop.contains(lower) || HopByHop.UNTRUSTED_REQUEST.contains(lower) || CONSUMED.contains(lower)
                    || (dropConditionals && CLIENT_CONDITIONALS.contains(lower))
                    || (normalEncoding != null && lower.equals("accept-encoding"))) {
                return;
            }
            out.add(name, value);
        });
        if (normalEncoding != null) {
            out.set("Accept-Encoding", normalEncoding);
        }
        // RFC 9112 §3.2.2: the target's authority replaces whatever Host the client sent.
        out.set("Host", host);
        out.set("X-Forwarded-For", clientIp);
        out.set("X-Forwarded-Proto", scheme);
        out.set("X-Forwarded-Host", host);
        appendVia(out, client, via);
        return out;
    }

    /** Response fields to pass downstream from an origin response, hop-by-hop removed, Via appended. */
    public static MultiMap downstreamResponse(Fields origin, Set<String> alsoRemove, String via) {
        Set<String> drop = HopByHop.namesToRemove(origin);
        MultiMap out = MultiMap.caseInsensitiveMultiMap();
        origin.forEach((name, value) -> {
            String lower = name.toLowerCase(Locale.ROOT);
            if (!drop.contains(lower) && !alsoRemove.contains(lower)) {
                out.add(name, value);
            }
        });
        appendVia(out, origin, via);
        return out;
    }

    private static void appendVia(MultiMap out, Fields in, String via) {
        String existing = in.combined("Via");
        out.set("Via", existing == null ? via : existing + ", " + via);
    }
}
