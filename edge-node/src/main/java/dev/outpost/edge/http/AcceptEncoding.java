package dev.outpost.edge.http;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Accept-Encoding normalisation, as CDNs do it (Varnish's, Fastly's): browsers send many spellings of
 * the same preference ({@code gzip, deflate, br}, {@code br, gzip}, {@code gzip, deflate, br, zstd}, with
 * or without weights), and a response with {@code Vary: Accept-Encoding} is stored once per spelling
 * (RFC 9111 §4.1). So the request's field is replaced, before it is matched or forwarded, by the
 * configured codings it accepts, in the configured order; the origin then chooses among those, each one
 * the client accepts, and every client accepting the same ones shares one stored variant.
 *
 * <p>What "accepts" means is RFC 9110 §12.5.3: a coding listed with a weight above 0 (§12.4.2: a missing
 * weight is 1), or not listed while {@code *} is, with a weight above 0; {@code x-gzip} is {@code gzip}
 * (§8.4.1.3). A request that accepts none of the codings gets {@code identity}. The weights' order of
 * preference among accepted codings is not kept (the origin picks; every pick is acceptable). A field
 * that is not valid Accept-Encoding, or that refuses {@code identity} (a client that must get one of
 * the codings it listed), is left as it is: normalising it could only lose something the client needs.
 * An absent field stays absent (any coding is acceptable, §12.5.3).
 *
 * <p>Pure: no I/O, thread-safe, one instance per configuration. Clients send few distinct fields, so the
 * answers for the first {@link #MEMO_LIMIT} single-line fields seen are kept (an answer is a function of
 * the field alone), and a request for an object with {@code Vary} does not parse its field again.
 */
public final class AcceptEncoding {

    /** No normalisation: every request's field is kept as it is. */
    public static final AcceptEncoding OFF = new AcceptEncoding(List.of());

    static final int MEMO_LIMIT = 1024;
    static final int MEMO_MAX_LINE = 256;
    /** Stands for "keep the field" in {@link #memo}, which holds no nulls. */
    private static final String KEEP = new String("keep the field");

    private final List<String> codings;
    private final boolean on;
    private final ConcurrentHashMap<String, String> memo = new ConcurrentHashMap<>();

    /** @param codings lower-case content-coding names, in the order the normalised field lists them */
    public AcceptEncoding(List<String> codings) {
        this.codings = List.copyOf(codings);
        this.on = !codings.isEmpty();
    }

    public static AcceptEncoding of(boolean normalise, List<String> codings) {
        return normalise ? new AcceptEncoding(codings) : OFF;
    }

    public boolean isOn() {
        return on;
    }

    /**
     * The field to send instead of {@code lines} (the request's Accept-Encoding field lines, at least one),
     * or {@code null} to keep them as they are.
     */
    public String normalise(List<String> lines) {
        if (!on) {
            return null;
        }
        if (lines.size() != 1) {
            return compute(String.join(",", lines));
        }
        String line = lines.get(0);
        String known = memo.get(line);
        if (known == null) {
            String computed = compute(line);
            known = computed == null ? KEEP : computed;
            if (memo.size() < MEMO_LIMIT && line.length() <= MEMO_MAX_LINE) {
                memo.putIfAbsent(line, known);
            }
        }
        return known == KEEP ? null : known;
    }

    private String compute(String field) {
        Map<String, Double> weights = weights(field);
        if (weights == null) {
            return null;
        }
        Double star = weights.get("*");
        if (!accepts(weights, "identity", star == null ? 1.0 : star)) {
            return null;
        }
        StringBuilder out = new StringBuilder(32);
        for (String coding : codings) {
            if (accepts(weights, coding, star == null ? 0.0 : star)) {
                if (out.length() > 0) {
                    out.append(", ");
                }
                out.append(coding);
            }
        }
        return out.length() == 0 ? "identity" : out.toString();
    }

    /** Listed: its own weight; not listed: {@code unlisted} (the weight of {@code *}, or the default). */
    private static boolean accepts(Map<String, Double> weights, String coding, double unlisted) {
        Double w = weights.get(coding);
        return (w == null ? unlisted : w) > 0;
    }

    /**
     * Coding (lower case) → weight, for a field value of the form
     * {@code #( codings [ OWS ";" OWS "q=" qvalue ] )}; null when it is not of that form. A coding listed
     * twice keeps its highest weight.
     */
    static Map<String, Double> weights(String value) {
        Map<String, Double> weights = new HashMap<>();
        for (String member : value.split(",", -1)) {
            String m = member.strip();
            if (m.isEmpty()) {
                continue; // empty list elements are allowed (RFC 9110 §5.6.1)
            }
            int semi = m.indexOf(';');
            String coding = (semi < 0 ? m : m.substring(0, semi)).strip().toLowerCase(Locale.ROOT);
            if (!CacheControl.isToken(coding)) {
                return null;
            }
            double q = 1.0;
            if (semi >= 0) {
                String param = m.substring(semi + 1).strip();
                if (param.length() < 3 || (param.charAt(0) != 'q' && param.charAt(0) != 'Q') || param.charAt(1) != '=') {
                    return null;
                }
                q = qvalue(param.substring(2));
                if (q < 0) {
                    return null;
                }
            }
            if (coding.equals("x-gzip")) {
                coding = "gzip";
            }
            weights.merge(coding, q, Math::max);
        }
        return weights;
    }

    /** RFC 9110 §12.4.2: {@code ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )}; -1 when not one. */
    static double qvalue(String s) {
        int n = s.length();
        if (n == 0 || n > 5 || (s.charAt(0) != '0' && s.charAt(0) != '1')) {
            return -1;
        }
        if (n == 1) {
            return s.charAt(0) - '0';
        }
        if (s.charAt(1) != '.') {
            return -1;
        }
        int thousandths = 0;
        for (int i = 2; i < 5; i++) {
            int digit = 0;
            if (i < n) {
                char c = s.charAt(i);
                if (c < '0' || c > '9') {
                    return -1;
                }
                digit = c - '0';
            }
            thousandths = thousandths * 10 + digit;
        }
        if (s.charAt(0) == '1') {
            return thousandths == 0 ? 1.0 : -1;
        }
        return thousandths / 1000.0;
    }

    /** The configured codings, in order. */
    public List<String> codings() {
        return codings;
    }
}
