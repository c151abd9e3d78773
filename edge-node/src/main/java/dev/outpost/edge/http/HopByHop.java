package dev.outpost.edge.http;

import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Connection-specific fields, RFC 9110 §7.6.1: never forwarded. The fixed list (Connection,
 * Keep-Alive, Proxy-Connection, Proxy-Authenticate, Proxy-Authorization, TE, Trailer,
 * Transfer-Encoding, Upgrade) plus every field named in {@code Connection}. Also the fields that
 * must never be trusted from a client at an edge (X-Original-URL, X-Rewrite-URL, X-Host) and the
 * forwarding fields we set ourselves (X-Forwarded-For/-Proto/-Host).
 */
public final class HopByHop {

    private HopByHop() {
    }

    /** Lower-case fixed hop-by-hop names. */
    public static final Set<String> FIXED = Set.of("connection", "keep-alive", "proxy-connection",
            "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade");

    /** Lower-case names of request fields an edge never forwards from a client. */
    public static final Set<String> UNTRUSTED_REQUEST = Set.of("x-original-url", "x-rewrite-url", "x-host",
            "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "forwarded");

    /** Lower-case names to remove before forwarding a message: FIXED plus the Connection options. */
    public static Set<String> namesToRemove(Fields message) {
        List<String> connection = message.all("Connection");
        if (connection.isEmpty()) {
            return FIXED;
        }
        Set<String> names = new LinkedHashSet<>(FIXED);
        for (String line : connection) {
            if (line == null) {
                continue;
            }
            for (String option : line.split(",", -1)) {
                String name = option.strip().toLowerCase(Locale.ROOT);
                if (!name.isEmpty()) {
                    names.add(name);
                }
            }
        }
        return Collections.unmodifiableSet(names);
    }
}
