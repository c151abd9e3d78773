package dev.outpost.edge.cache;

import java.net.URI;
import java.util.Locale;

/**
 * Builds {@link CacheKey}s: the only place that does. Normalisation (RFC 3986 §6.2.2 syntax-based,
 * conservative so two keys are equal only when every origin would treat the URIs the same):
 * <ul>
 * <li>host: lower-cased, a trailing dot removed, the port kept only when it is not the default for
 *     the scheme (RFC 9110 §4.2.3);</li>
 * <li>path: empty becomes "/"; percent-encodings upper-cased; unreserved characters that were
 *     percent-encoded are decoded (§6.2.2.2); dot-segments are NOT removed (origins differ);</li>
 * <li>query: kept as received, but percent-encoding case normalised; parameter order is significant
 *     (origins may rely on it), an empty "?" is dropped.</li>
 * </ul>
 */
public final class CacheKeyPolicy {

    public CacheKey keyFor(String scheme, String hostHeader, String pathAndQuery) {
        return new CacheKey(normaliseHost(scheme, hostHeader), normaliseTarget(pathAndQuery));
    }

    /** Key for an absolute URL, as given in purges and in Location / Content-Location (RFC 9111 §4.4). */
    public CacheKey keyForAbsolute(URI uri) {
        String authority = uri.getRawAuthority();
        if (authority == null) {
            throw new IllegalArgumentException("not an absolute URL: " + uri);
        }
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        String query = uri.getRawQuery();
        return keyFor(uri.getScheme(), authority, query == null ? path : path + "?" + query);
    }

    public static String normaliseHost(String scheme, String host) {
        if (isAlreadyNormal(scheme, host)) {
            return host; // the common case: nothing to normalise, no allocation
        }
        String h = host.toLowerCase(Locale.ROOT).trim();
        int at = h.lastIndexOf('@');
        if (at >= 0) {
            h = h.substring(at + 1);
        }
        String port = null;
        int colon = h.lastIndexOf(':');
        if (colon >= 0 && h.indexOf(']') < colon) {
            port = h.substring(colon + 1);
            h = h.substring(0, colon);
        }
        if (h.endsWith(".")) {
            h = h.substring(0, h.length() - 1);
        }
        boolean https = "https".equalsIgnoreCase(scheme);
        if (port == null || port.isEmpty() || (https && port.equals("443")) || (!https && port.equals("80"))) {
            return h;
        }
        return h + ":" + port;
    }

    /**
     * A lower-case name without a trailing dot, optionally followed by a port that is not the scheme's
     * default: what the normalisation below would return unchanged (shields and edges on ports like
     * 8080 take this path too).
     */
    private static boolean isAlreadyNormal(String scheme, String host) {
        int n = host.length();
        int colon = host.indexOf(':');
        int nameEnd = colon < 0 ? n : colon;
        if (nameEnd == 0 || host.charAt(nameEnd - 1) == '.') {
            return false;
        }
        for (int i = 0; i < nameEnd; i++) {
            char c = host.charAt(i);
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.')) {
                return false;
            }
        }
        if (colon < 0) {
            return true;
        }
        if (colon == n - 1) {
            return false; // an empty port is dropped
        }
        for (int i = colon + 1; i < n; i++) {
            char c = host.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        String defaultPort = "https".equals(scheme) ? "443" : "http".equals(scheme) ? "80" : null;
        if (defaultPort == null) {
            return false; // an unusual spelling of the scheme: the general path decides
        }
        boolean isDefault = n - colon - 1 == defaultPort.length()
                && host.regionMatches(colon + 1, defaultPort, 0, defaultPort.length());
        return !isDefault;
    }

    static String normaliseTarget(String pathAndQuery) {
        if (pathAndQuery == null || pathAndQuery.isEmpty()) {
            return "/";
        }
        int hash = pathAndQuery.indexOf('#');
        String s = hash >= 0 ? pathAndQuery.substring(0, hash) : pathAndQuery;
        int q = s.indexOf('?');
        String path = q >= 0 ? s.substring(0, q) : s;
        String query = q >= 0 ? s.substring(q + 1) : "";
        if (path.isEmpty()) {
            path = "/";
        }
        path = normalisePercent(path, true);
        if (query.isEmpty()) {
            return path;
        }
        return path + "?" + normalisePercent(query, false);
    }

    /** Upper-cases percent-encodings; in paths also decodes encoded unreserved characters. */
    private static String normalisePercent(String s, boolean decodeUnreserved) {
        if (s.indexOf('%') < 0) {
            return s;
        }
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%' && i + 2 < s.length() && isHex(s.charAt(i + 1)) && isHex(s.charAt(i + 2))) {
                int v = Integer.parseInt(s.substring(i + 1, i + 3), 16);
                if (decodeUnreserved && isUnreserved((char) v)) {
                    out.append((char) v);
                } else {
                    out.append('%').append(Character.toUpperCase(s.charAt(i + 1)))
                            .append(Character.toUpperCase(s.charAt(i + 2)));
                }
                i += 2;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static boolean isHex(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }

    private static boolean isUnreserved(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || c == '-' || c == '.' || c == '_' || c == '~';
    }
}
