package dev.outpost.edge.http;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Validators and conditional requests: RFC 9110 §8.8 (entity tags, strong and weak comparison),
 * §13.1 (If-None-Match, If-Modified-Since, If-Range), and RFC 9111 §4.3 (validation by a cache:
 * §4.3.1 sending a validation request, §4.3.2 answering a client's conditional request from cache,
 * §4.3.4 freshening stored responses with a 304, §4.3.5 freshening with a HEAD response).
 */
public final class Conditional {

    private Conditional() {
    }

    /** §8.8.3.2 strong comparison: both strong and identical opaque-tags. */
    public static boolean strongMatch(String etagA, String etagB) {
        EntityTag a = EntityTag.parse(etagA);
        EntityTag b = EntityTag.parse(etagB);
        return a != null && b != null && !a.weak() && !b.weak() && a.opaque().equals(b.opaque());
    }

    /** §8.8.3.2 weak comparison: opaque-tags identical, W/ ignored. */
    public static boolean weakMatch(String etagA, String etagB) {
        EntityTag a = EntityTag.parse(etagA);
        EntityTag b = EntityTag.parse(etagB);
        return a != null && b != null && a.opaque().equals(b.opaque());
    }

    /**
     * RFC 9111 §4.3.2 / RFC 9110 §13.1.1-3, §13.2.2: should a GET/HEAD carrying the client's own
     * preconditions get 304 from the stored response? If-None-Match (weak comparison, "*" matches
     * any stored response) takes precedence; If-Modified-Since is evaluated only without
     * If-None-Match and only when the stored response has Last-Modified (or Date), invalid dates ignored.
     */
    public static boolean notModified(Fields request, Fields stored) {
        if (request.has("If-None-Match")) {
            List<String> lines = request.all("If-None-Match");
            EntityTagList tags = EntityTagList.parse(lines);
            if (tags.any()) {
                return true;
            }
            EntityTag storedTag = EntityTag.parse(stored.first("ETag"));
            if (storedTag == null) {
                return false;
            }
            for (EntityTag tag : tags.tags()) {
                if (tag.opaque().equals(storedTag.opaque())) {
                    return true; // weak comparison (RFC 9110 §13.1.2)
                }
            }
            return false;
        }
        if (request.has("If-Modified-Since")) {
            Instant since = HttpDate.parse(request.first("If-Modified-Since"));
            if (since == null) {
                return false; // §13.1.3: an invalid date is ignored
            }
            Instant lastModified = HttpDate.parse(stored.first("Last-Modified"));
            if (lastModified == null) {
                lastModified = HttpDate.parse(stored.first("Date"));
            }
            return lastModified != null && !lastModified.isAfter(since);
        }
        return false;
    }

    /** §4.3.1: the validator fields for a revalidation request: If-None-Match from ETag, If-Modified-Since from Last-Modified. */
    public static HeaderFields validatorsFor(Fields stored) {
        HeaderFields.Builder b = HeaderFields.builder();
        String etag = stored.first("ETag");
        if (etag != null && EntityTag.parse(etag) != null) {
            b.add("If-None-Match", etag.strip());
        }
        String lastModified = stored.first("Last-Modified");
        if (lastModified != null && HttpDate.parse(lastModified) != null) {
            b.add("If-Modified-Since", lastModified.strip());
        }
        return b.build();
    }

    /** True when the stored response has a validator (ETag or Last-Modified). */
    public static boolean hasValidator(Fields stored) {
        return validatorsFor(stored).size() > 0;
    }

    /**
     * §4.3.4 (via §3.2): the stored header fields updated with those of a 304 (or, §4.3.5, a HEAD
     * 200): every field in the new response replaces the stored field of that name, except
     * Content-Length (and, for 304, Content-Range, Content-Encoding, Transfer-Encoding... any field
     * describing the content of the 304 itself) which are kept from the stored response. Connection-specific
     * fields of the update (§3.1, {@link HopByHop}) are not taken over either. Replaced fields are appended
     * after the kept ones, in the update's order.
     */
    public static HeaderFields freshen(Fields stored, Fields update) {
        Set<String> keep = new HashSet<>(KEPT_ON_FRESHEN);
        keep.addAll(HopByHop.namesToRemove(update));
        Set<String> replaced = new HashSet<>();
        HeaderFields.Builder added = HeaderFields.builder();
        update.forEach((name, value) -> {
            String lower = name.toLowerCase(Locale.ROOT);
            if (!keep.contains(lower)) {
                replaced.add(lower);
                added.add(name, value);
            }
        });
        HeaderFields.Builder b = HeaderFields.copyOf(stored).toBuilder().removeAll(replaced);
        HeaderFields extra = added.build();
        extra.forEach(b::add);
        return b.build();
    }

    /**
     * §4.3.4: does a 304 apply to this stored response? With a strong ETag in the 304, the stored
     * ETag must match strongly; else with a weak ETag, the stored ETag must match weakly (and a
     * Last-Modified in the 304, if any, must equal the stored one); else with Last-Modified, it must
     * equal the stored one; else (no validators) it applies only when the stored response lacks a
     * validator too (§4.3.4: "that stored response also lacks a validator").
     */
    public static boolean notModifiedApplies(Fields stored, Fields notModified) {
        EntityTag newTag = EntityTag.parse(notModified.first("ETag"));
        EntityTag storedTag = EntityTag.parse(stored.first("ETag"));
        if (newTag != null && !newTag.weak()) {
            return storedTag != null && !storedTag.weak() && storedTag.opaque().equals(newTag.opaque());
        }
        Instant newLastModified = HttpDate.parse(notModified.first("Last-Modified"));
        Instant storedLastModified = HttpDate.parse(stored.first("Last-Modified"));
        if (newTag != null) {
            if (storedTag == null || !storedTag.opaque().equals(newTag.opaque())) {
                return false;
            }
            return newLastModified == null || newLastModified.equals(storedLastModified);
        }
        if (newLastModified != null) {
            return newLastModified.equals(storedLastModified);
        }
        return !hasValidator(stored);
    }

    /**
     * §4.3.5: does a HEAD 200 freshen the stored response? Not when Content-Length, ETag or
     * Last-Modified present in both differ (then the stored response should be invalidated).
     */
    public static boolean headResponseMatches(Fields stored, Fields head) {
        String storedLength = stored.first("Content-Length");
        String headLength = head.first("Content-Length");
        if (storedLength != null && headLength != null && !storedLength.strip().equals(headLength.strip())) {
            return false;
        }
        String storedTag = stored.first("ETag");
        String headTag = head.first("ETag");
        if (storedTag != null && headTag != null) {
            EntityTag a = EntityTag.parse(storedTag);
            EntityTag b = EntityTag.parse(headTag);
            boolean same = a != null && b != null ? a.equals(b) : storedTag.strip().equals(headTag.strip());
            if (!same) {
                return false;
            }
        }
        String storedLm = stored.first("Last-Modified");
        String headLm = head.first("Last-Modified");
        if (storedLm != null && headLm != null) {
            Instant a = HttpDate.parse(storedLm);
            Instant b = HttpDate.parse(headLm);
            boolean same = a != null && b != null ? a.equals(b) : storedLm.strip().equals(headLm.strip());
            return same;
        }
        return true;
    }

    /**
     * RFC 9110 §13.1.5: may a Range be honoured given If-Range? True without If-Range. With an
     * entity-tag: strong match against the stored ETag. With a date: equal to a strong Last-Modified
     * (i.e. Last-Modified at least one second before Date), else false.
     */
    public static boolean ifRangeAllowsRange(Fields request, Fields stored) {
        String ifRange = request.first("If-Range");
        if (ifRange == null) {
            return true;
        }
        String v = ifRange.strip();
        if (v.startsWith("\"") || v.startsWith("W/")) {
            return strongMatch(v, stored.first("ETag"));
        }
        Instant date = HttpDate.parse(v);
        if (date == null) {
            return false;
        }
        Instant lastModified = HttpDate.parse(stored.first("Last-Modified"));
        Instant storedDate = HttpDate.parse(stored.first("Date"));
        if (lastModified == null || storedDate == null
                || Duration.between(lastModified, storedDate).getSeconds() < 1) {
            return false; // not a strong validator (RFC 9110 §8.8.2.2)
        }
        return date.equals(lastModified);
    }

    /** Fields kept from the stored response when freshening: they describe the stored content itself. */
    static final Set<String> KEPT_ON_FRESHEN = Set.of("content-length", "content-range", "content-encoding",
            "transfer-encoding");

    /** RFC 9110 §8.8.3 entity-tag = [ W/ ] DQUOTE *etagc DQUOTE. */
    record EntityTag(boolean weak, String opaque) {

        /** Parses one entity-tag (surrounding whitespace allowed), or null when invalid. */
        static EntityTag parse(String value) {
            if (value == null) {
                return null;
            }
            String v = value.strip();
            boolean weak = v.startsWith("W/");
            int start = weak ? 2 : 0;
            if (v.length() < start + 2 || v.charAt(start) != '"' || v.charAt(v.length() - 1) != '"') {
                return null;
            }
            String opaque = v.substring(start + 1, v.length() - 1);
            for (int i = 0; i < opaque.length(); i++) {
                if (!isEtagc(opaque.charAt(i))) {
                    return null;
                }
            }
            return new EntityTag(weak, opaque);
        }

        /** etagc = %x21 / %x23-7E / obs-text. */
        static boolean isEtagc(char c) {
            return c == 0x21 || c >= 0x23 && c <= 0x7E || c >= 0x80 && c <= 0xFF;
        }
    }

    /** An If-None-Match / If-Match value: "*" or a list of entity-tags (invalid members skipped). */
    record EntityTagList(boolean any, List<EntityTag> tags) {

        static EntityTagList parse(List<String> lines) {
            List<EntityTag> tags = new ArrayList<>();
            boolean any = false;
            for (String line : lines) {
                if (line == null) {
                    continue;
                }
                int n = line.length();
                int i = 0;
                while (i < n) {
                    char c = line.charAt(i);
                    if (c == ',' || c == ' ' || c == '\t') {
                        i++;
                        continue;
                    }
                    if (c == '*') {
                        any = true;
                        i++;
                        continue;
                    }
                    int start = i;
                    if (line.startsWith("W/", i)) {
                        i += 2;
                    }
                    if (i < n && line.charAt(i) == '"') {
                        int close = line.indexOf('"', i + 1);
                        if (close < 0) {
                            break; // unterminated: ignore the rest
                        }
                        EntityTag tag = EntityTag.parse(line.substring(start, close + 1));
                        if (tag != null) {
                            tags.add(tag);
                        }
                        i = close + 1;
                    } else {
                        // junk: skip to the next comma
                        while (i < n && line.charAt(i) != ',') {
                            i++;
                        }
                    }
                }
            }
            return new EntityTagList(any, List.copyOf(tags));
        }
    }
}
