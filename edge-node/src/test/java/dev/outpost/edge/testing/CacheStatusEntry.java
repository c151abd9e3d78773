package dev.outpost.edge.testing;

import java.util.LinkedHashMap;
import java.util.Map;

/** Reads one Cache-Status list member in tests: the cache name and its parameters (bare ones map to "?1"). */
public record CacheStatusEntry(String cache, Map<String, String> params) {

    public static CacheStatusEntry parse(String member) {
        String[] parts = member.split(";");
        Map<String, String> params = new LinkedHashMap<>();
        for (int i = 1; i < parts.length; i++) {
            String p = parts[i].trim();
            int eq = p.indexOf('=');
            if (eq < 0) {
                params.put(p, "?1");
            } else {
                params.put(p.substring(0, eq), p.substring(eq + 1));
            }
        }
        return new CacheStatusEntry(parts[0].trim(), params);
    }

    public boolean hit() {
        return params.containsKey("hit");
    }

    public String fwd() {
        return params.get("fwd");
    }

    public String fwdStatus() {
        return params.get("fwd-status");
    }

    public boolean stored() {
        return params.containsKey("stored");
    }

    public boolean collapsed() {
        return params.containsKey("collapsed");
    }

    public String detail() {
        String d = params.get("detail");
        return d != null && d.startsWith("\"") ? d.substring(1, d.length() - 1) : d;
    }

    public Long ttl() {
        String t = params.get("ttl");
        return t == null ? null : Long.parseLong(t);
    }
}
