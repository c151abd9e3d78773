package dev.outpost.edge.http;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Parsed Cache-Control directives (RFC 9111 §5.2), request or response side. Parsing only:
 * what a directive means for storing or reuse is decided elsewhere (Cacheability, Freshness).
 *
 * <p>Delta-seconds values: {@link #ABSENT} when the directive is missing, {@link #INVALID} when it is
 * present with a value that is not a valid delta-seconds (§1.2.2; caches treat such a response as
 * stale, §4.2.1), otherwise the value clamped to {@link #MAX_DELTA} (2^31, §1.2.2). A directive that
 * occurs more than once keeps its first occurrence (§4.2.1). Names are case-insensitive; unknown
 * directives are ignored; a quoted-string value is unquoted. {@code max-stale} without a value is
 * {@link #ANY_STALENESS}.
 */
public record CacheControl(
        long maxAge,
        long sMaxAge,
        long maxStale,
        long minFresh,
        long staleWhileRevalidate,
        long staleIfError,
        boolean noStore,
        boolean noCache,
        Set<String> noCacheFields,
        boolean isPrivate,
        Set<String> privateFields,
        boolean isPublic,
        boolean mustRevalidate,
        boolean proxyRevalidate,
        boolean mustUnderstand,
        boolean noTransform,
        boolean immutable,
        boolean onlyIfCached) {

    public static final long ABSENT = -1;
    public static final long INVALID = -2;
    public static final long MAX_DELTA = 2147483648L;
    public static final long ANY_STALENESS = Long.MAX_VALUE;

    public static final CacheControl EMPTY = new CacheControl(ABSENT, ABSENT, ABSENT, ABSENT, ABSENT, ABSENT,
            false, false, Set.of(), false, Set.of(), false, false, false, false, false, false, false);

    /**
     * Parses the field lines of one Cache-Control-syntax field (Cache-Control, Surrogate-Control).
     * {@code no-cache="a, b"} and {@code private="a"} yield lower-case field names with the flag set.
     * Never throws: malformed members are skipped.
     */
    public static CacheControl parse(List<String> fieldLines) {
        if (fieldLines == null || fieldLines.isEmpty()) {
            return EMPTY;
        }
        List<Directive> parsed = new java.util.ArrayList<>();
        for (String line : fieldLines) {
            if (line != null) {
                tokenize(line, parsed);
            }
        }
        return interpret(parsed);
    }

    /**
     * The request directives of §5.2.1, including {@code Pragma: no-cache} treated as
     * {@code Cache-Control: no-cache} when the request has no Cache-Control field (§5.4).
     */
    public static CacheControl ofRequest(Fields request) {
        List<String> lines = request.all("Cache-Control");
        if (!lines.isEmpty()) {
            return parse(lines);
        }
        List<String> pragma = request.all("Pragma");
        if (pragma.isEmpty()) {
            return EMPTY;
        }
        List<Directive> parsed = new java.util.ArrayList<>();
        for (String line : pragma) {
            if (line != null) {
                tokenize(line, parsed);
            }
        }
        for (Directive d : parsed) {
            if (d.name().equals("no-cache")) {
                return EMPTY.withNoCache();
            }
        }
        return EMPTY;
    }

    /** A copy with a bare {@code no-cache} (no field names). */
    public CacheControl withNoCache() {
        return new CacheControl(maxAge, sMaxAge, maxStale, minFresh, staleWhileRevalidate, staleIfError, noStore,
                true, Set.of(), isPrivate, privateFields, isPublic, mustRevalidate, proxyRevalidate, mustUnderstand,
                noTransform, immutable, onlyIfCached);
    }

    /** One parsed member: lower-case name and its (unquoted) value, or {@code null} when it has none. */
    record Directive(String name, String value) {
    }

    // ---- parsing: RFC 9111 §5.2 (cache-directive = token [ "=" ( token / quoted-string ) ]) ----

    /** Appends the members of one field line to {@code out}; malformed members are skipped. */
    static void tokenize(String line, List<Directive> out) {
        int n = line.length();
        int i = 0;
        while (i < n) {
            // skip separators and OWS
            while (i < n && (line.charAt(i) == ',' || isOws(line.charAt(i)))) {
                i++;
            }
            if (i >= n) {
                break;
            }
            int nameStart = i;
            while (i < n && isTchar(line.charAt(i))) {
                i++;
            }
            String name = line.substring(nameStart, i);
            while (i < n && isOws(line.charAt(i))) {
                i++;
            }
            boolean ok = !name.isEmpty();
            String value = null;
            if (i < n && line.charAt(i) == '=') {
                i++;
                while (i < n && isOws(line.charAt(i))) {
                    i++;
                }
                if (i < n && line.charAt(i) == '"') {
                    StringBuilder sb = new StringBuilder();
                    i++;
                    boolean closed = false;
                    while (i < n) {
                        char c = line.charAt(i);
                        if (c == '\\' && i + 1 < n) {
                            sb.append(line.charAt(i + 1));
                            i += 2;
                        } else if (c == '"') {
                            i++;
                            closed = true;
                            break;
                        } else {
                            sb.append(c);
                            i++;
                        }
                    }
                    value = sb.toString();
                    ok &= closed;
                    while (i < n && isOws(line.charAt(i))) {
                        i++;
                    }
                    ok &= i >= n || line.charAt(i) == ',';
                } else {
                    int valueStart = i;
                    while (i < n && line.charAt(i) != ',') {
                        i++;
                    }
                    // kept verbatim (trimmed): an invalid token value makes the member invalid later
                    value = line.substring(valueStart, i).strip();
                }
            } else if (i < n && line.charAt(i) != ',') {
                ok = false; // e.g. "no store" or a stray character after the name
            }
            // resynchronise on the next comma outside a quoted string
            if (!ok) {
                boolean quoted = false;
                while (i < n) {
                    char c = line.charAt(i);
                    if (quoted && c == '\\') {
                        i += 2;
                        continue;
                    }
                    if (c == '"') {
                        quoted = !quoted;
                    } else if (c == ',' && !quoted) {
                        break;
                    }
                    i++;
                }
                continue;
            }
            out.add(new Directive(name.toLowerCase(Locale.ROOT), value));
        }
    }

    static CacheControl interpret(List<Directive> directives) {
        // first occurrence wins for valued directives (§4.2.1); flags are simply set
        Map<String, Directive> first = new LinkedHashMap<>();
        Set<String> noCacheNames = new LinkedHashSet<>();
        Set<String> privateNames = new LinkedHashSet<>();
        boolean noCacheBare = false;
        boolean privateBare = false;
        for (Directive d : directives) {
            first.putIfAbsent(d.name(), d);
            if (d.name().equals("no-cache")) {
                noCacheBare |= !addFieldNames(d.value(), noCacheNames);
            } else if (d.name().equals("private")) {
                privateBare |= !addFieldNames(d.value(), privateNames);
            }
        }
        boolean noCache = first.containsKey("no-cache");
        boolean isPrivate = first.containsKey("private");
        return new CacheControl(
                delta(first.get("max-age")),
                delta(first.get("s-maxage")),
                maxStale(first.get("max-stale")),
                delta(first.get("min-fresh")),
                delta(first.get("stale-while-revalidate")),
                delta(first.get("stale-if-error")),
                first.containsKey("no-store"),
                noCache,
                noCache && !noCacheBare ? Collections.unmodifiableSet(noCacheNames) : Set.of(),
                isPrivate,
                isPrivate && !privateBare ? Collections.unmodifiableSet(privateNames) : Set.of(),
                first.containsKey("public"),
                first.containsKey("must-revalidate"),
                first.containsKey("proxy-revalidate"),
                first.containsKey("must-understand"),
                first.containsKey("no-transform"),
                first.containsKey("immutable"),
                first.containsKey("only-if-cached"));
    }

    /**
     * Adds the field names of a qualified {@code no-cache} / {@code private} value; false when the value
     * names no field (bare directive, or an empty/invalid list: treated as bare, the conservative reading).
     */
    static boolean addFieldNames(String value, Set<String> into) {
        if (value == null) {
            return false;
        }
        boolean any = false;
        for (String part : value.split(",", -1)) {
            String name = part.strip();
            if (!name.isEmpty() && isToken(name)) {
                into.add(name.toLowerCase(Locale.ROOT));
                any = true;
            }
        }
        return any;
    }

    private static long delta(Directive d) {
        if (d == null) {
            return ABSENT;
        }
        return parseDeltaSeconds(d.value());
    }

    private static long maxStale(Directive d) {
        if (d == null) {
            return ABSENT;
        }
        return d.value() == null ? ANY_STALENESS : parseDeltaSeconds(d.value());
    }

    /** §1.2.2 delta-seconds = 1*DIGIT, clamped to {@link #MAX_DELTA}; {@link #INVALID} otherwise. */
    static long parseDeltaSeconds(String value) {
        if (value == null || value.isEmpty()) {
            return INVALID;
        }
        long v = 0;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < '0' || c > '9') {
                return INVALID;
            }
            if (v < MAX_DELTA) {
                v = v * 10 + (c - '0');
            }
        }
        return Math.min(v, MAX_DELTA);
    }

    static boolean isOws(char c) {
        return c == ' ' || c == '\t';
    }

    /** RFC 9110 §5.6.2 tchar. */
    static boolean isTchar(char c) {
        if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
            return true;
        }
        return "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
    }

    static boolean isToken(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (!isTchar(s.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    public boolean has(long delta) {
        return delta != ABSENT;
    }
}
