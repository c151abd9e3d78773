package dev.outpost.edge.http;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.greenbytes.http.sfv.BooleanItem;
import org.greenbytes.http.sfv.Dictionary;
import org.greenbytes.http.sfv.InnerList;
import org.greenbytes.http.sfv.IntegerItem;
import org.greenbytes.http.sfv.Item;
import org.greenbytes.http.sfv.ListElement;
import org.greenbytes.http.sfv.Parser;
import org.greenbytes.http.sfv.StringItem;
import org.greenbytes.http.sfv.TokenItem;

/**
 * Which caching policy applies to a response for this cache (a CDN, i.e. a shared cache).
 *
 * <p>RFC 9213 §2.1-2.2: the configured targeted fields are tried in order ({@code CDN-Cache-Control}
 * by default); each is parsed as an RFC 8941 Structured Field Dictionary; the first one that is valid
 * and non-empty is used and then {@code Cache-Control} and {@code Expires} are ignored for this cache.
 * Invalid ones are ignored. Dictionary members map onto {@link CacheControl}: integer values are
 * delta-seconds, {@code no-cache} / {@code private} may carry an inner list or string of field names,
 * boolean {@code ?0} members count as absent.
 *
 * <p>Then {@code Surrogate-Control} (Edge Architecture Specification 1.0; only {@code max-age} and
 * {@code no-store} understood, other members ignored, targeted forms like {@code max-age=60;edge} not
 * supported) overrides {@code Cache-Control}/{@code Expires} in the same way when no targeted field
 * applies. Otherwise {@code Cache-Control} applies with {@code Expires}.
 *
 * <p>Details of the targeted mapping: a delta-seconds member whose value is not a non-negative Integer
 * (a Decimal, String, negative Integer, or bare {@code max-age}) is {@link CacheControl#INVALID}, like an
 * invalid Cache-Control value; parameters are ignored (RFC 9213 §2.2); a repeated key follows RFC 8941
 * Dictionary semantics (the last value wins). Any other member type for a flag directive counts as present.
 * A Surrogate-Control field applies only when it carries {@code max-age} or {@code no-store}; a member
 * with a target ({@code max-age=60;edge}) is ignored, and the Edge Architecture {@code max-age=60+30}
 * form uses its first number.
 */
public record ResponseControl(CacheControl directives, Source source) {

    public enum Source {
        /** A targeted field from the configured list (RFC 9213). */
        TARGETED,
        /** Surrogate-Control. */
        SURROGATE,
        /** Cache-Control (and Expires). */
        CACHE_CONTROL
    }

    /** True when Expires may be used for freshness (only for {@link Source#CACHE_CONTROL}). */
    public boolean expiresApplies() {
        return source == Source.CACHE_CONTROL;
    }

    public static ResponseControl resolve(Fields response, List<String> targetedFieldNames) {
        if (targetedFieldNames != null) {
            for (String name : targetedFieldNames) {
                CacheControl targeted = parseTargeted(response.all(name));
                if (targeted != null) {
                    return new ResponseControl(targeted, Source.TARGETED);
                }
            }
        }
        CacheControl surrogate = parseSurrogate(response.all("Surrogate-Control"));
        if (surrogate != null) {
            return new ResponseControl(surrogate, Source.SURROGATE);
        }
        return new ResponseControl(CacheControl.parse(response.all("Cache-Control")), Source.CACHE_CONTROL);
    }

    /** RFC 9213 §2.2: the directives of a targeted field, or null when it is absent, empty or invalid. */
    static CacheControl parseTargeted(List<String> lines) {
        if (lines.isEmpty()) {
            return null;
        }
        Map<String, ListElement<? extends Object>> members;
        try {
            Dictionary dictionary = new Parser(lines).parseDictionary();
            members = dictionary.get();
        } catch (RuntimeException e) { // ParseException is an IllegalArgumentException
            return null;
        }
        if (members.isEmpty()) {
            return null;
        }
        Set<String> noCacheNames = new LinkedHashSet<>();
        Set<String> privateNames = new LinkedHashSet<>();
        ListElement<?> noCache = present(members.get("no-cache"));
        ListElement<?> priv = present(members.get("private"));
        boolean noCacheQualified = noCache != null && fieldNames(noCache, noCacheNames);
        boolean privateQualified = priv != null && fieldNames(priv, privateNames);
        return new CacheControl(
                delta(members.get("max-age")),
                delta(members.get("s-maxage")),
                CacheControl.ABSENT,
                CacheControl.ABSENT,
                delta(members.get("stale-while-revalidate")),
                delta(members.get("stale-if-error")),
                present(members.get("no-store")) != null,
                noCache != null,
                noCacheQualified ? Collections.unmodifiableSet(noCacheNames) : Set.of(),
                priv != null,
                privateQualified ? Collections.unmodifiableSet(privateNames) : Set.of(),
                present(members.get("public")) != null,
                present(members.get("must-revalidate")) != null,
                present(members.get("proxy-revalidate")) != null,
                present(members.get("must-understand")) != null,
                present(members.get("no-transform")) != null,
                present(members.get("immutable")) != null,
                false);
    }

    /** The member unless missing or Boolean false ({@code ?0} counts as absent). */
    private static ListElement<?> present(ListElement<?> member) {
        if (member == null) {
            return null;
        }
        if (member instanceof BooleanItem b && !b.get()) {
            return null;
        }
        return member;
    }

    private static long delta(ListElement<?> member) {
        ListElement<?> m = present(member);
        if (m == null) {
            return CacheControl.ABSENT;
        }
        if (m instanceof IntegerItem i && i.getAsLong() >= 0) {
            return Math.min(i.getAsLong(), CacheControl.MAX_DELTA);
        }
        return CacheControl.INVALID;
    }

    /** Field names from an Inner List of Strings/Tokens or a String list; false when none (bare). */
    private static boolean fieldNames(ListElement<?> member, Set<String> into) {
        if (member instanceof InnerList list) {
            boolean any = false;
            for (Item<?> item : list.get()) {
                if (item instanceof StringItem || item instanceof TokenItem) {
                    any |= CacheControl.addFieldNames((String) item.get(), into);
                }
            }
            return any;
        }
        if (member instanceof StringItem || member instanceof TokenItem) {
            return CacheControl.addFieldNames((String) member.get(), into);
        }
        return false;
    }

    /** Surrogate-Control: only max-age and no-store; null when neither is present. */
    static CacheControl parseSurrogate(List<String> lines) {
        if (lines.isEmpty()) {
            return null;
        }
        List<CacheControl.Directive> parsed = new ArrayList<>();
        for (String line : lines) {
            if (line != null) {
                CacheControl.tokenize(line, parsed);
            }
        }
        long maxAge = CacheControl.ABSENT;
        boolean noStore = false;
        for (CacheControl.Directive d : parsed) {
            String value = d.value();
            if (value != null && value.indexOf(';') >= 0) {
                continue; // targeted form (max-age=60;edge): not supported, ignored
            }
            if (d.name().equals("no-store")) {
                noStore = true;
            } else if (d.name().equals("max-age") && maxAge == CacheControl.ABSENT) {
                String v = value;
                if (v != null && v.indexOf('+') > 0) {
                    v = v.substring(0, v.indexOf('+')).strip();
                }
                maxAge = CacheControl.parseDeltaSeconds(v);
            }
        }
        if (maxAge == CacheControl.ABSENT && !noStore) {
            return null;
        }
        return new CacheControl(maxAge, CacheControl.ABSENT, CacheControl.ABSENT, CacheControl.ABSENT,
                CacheControl.ABSENT, CacheControl.ABSENT, noStore, false, Set.of(), false, Set.of(), false, false,
                false, false, false, false, false);
    }
}
