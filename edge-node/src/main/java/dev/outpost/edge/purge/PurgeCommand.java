package dev.outpost.edge.purge;

import dev.outpost.edge.cache.CacheKey;
import dev.outpost.edge.cache.CacheKeyPolicy;
import dev.outpost.edge.cache.Purge;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * One purge as the edge receives it (docs/purge-protocol.md): from {@code POST /purge} or from an entry
 * of the purge-api's catch-up feed. {@code type}, {@code values}, {@code host} and {@code soft} become
 * the storage purges ({@link Purge}, one per value); {@code sequence} (null for a manual purge) and
 * {@code id} are what the sequencer orders and logs by.
 *
 * <p>Values: url values are absolute URLs (the scheme does not narrow the match), prefix values absolute
 * URL prefixes ({@code http://site.example/images/} is host {@code site.example}, path prefix
 * {@code /images/}), tag values tag names (narrowed by {@code host} when given), and {@code all} takes no
 * values (narrowed by {@code host} when given). {@code host} given with url or prefix must match the
 * host of every value.
 */
public record PurgeCommand(String type, boolean soft, List<Purge> purges, Long sequence, String id) {

    public static final int MAX_VALUES = 1000;
    static final int MAX_VALUE_LENGTH = 8192;
    static final int MAX_ID_LENGTH = 200;
    private static final Set<String> TYPES = Set.of("url", "prefix", "tag", "all");
    /** Fields of a pushed purge; feed entries may carry more (acceptedAt, ...), which are ignored. */
    private static final Set<String> FIELDS = Set.of("type", "values", "host", "soft", "sequence", "id");

    public PurgeCommand {
        purges = List.copyOf(purges);
    }

    /** A malformed purge; the message names the field. */
    public static final class Invalid extends Exception {
        Invalid(String message) {
            super(message, null, false, false);
        }
    }

    /** A pushed purge: unknown fields are errors. */
    public static PurgeCommand ofPush(JsonObject json, CacheKeyPolicy keys) throws Invalid {
        for (String name : json.fieldNames()) {
            if (!FIELDS.contains(name)) {
                throw new Invalid(name + ": unknown field (allowed: type, values, host, soft, sequence, id)");
            }
        }
        return parse(json, keys);
    }

    /** A feed entry: {@code sequence} is required, other fields beyond the push's are ignored. */
    public static PurgeCommand ofFeedEntry(JsonObject json, CacheKeyPolicy keys) throws Invalid {
        PurgeCommand c = parse(json, keys);
        if (c.sequence() == null) {
            throw new Invalid("sequence: required in a feed entry");
        }
        return c;
    }

    private static PurgeCommand parse(JsonObject json, CacheKeyPolicy keys) throws Invalid {
        Object typeValue = json.getValue("type");
        if (!(typeValue instanceof String type)) {
            throw new Invalid("type: required, one of url, prefix, tag, all");
        }
        if (!TYPES.contains(type)) {
            throw new Invalid("type: unknown type '" + type + "', one of url, prefix, tag, all");
        }
        Object softValue = json.getValue("soft");
        if (softValue != null && !(softValue instanceof Boolean)) {
            throw new Invalid("soft: must be true or false");
        }
        boolean soft = Boolean.TRUE.equals(softValue);
        Object hostValue = json.getValue("host");
        String host = null;
        if (hostValue != null) {
            if (!(hostValue instanceof String h) || h.isBlank() || h.contains("/") || h.length() > 255) {
                throw new Invalid("host: must be a host name (with an optional port)");
            }
            host = CacheKeyPolicy.normaliseHost("http", h);
        }
        Long sequence = sequence(json.getValue("sequence"));
        Object idValue = json.getValue("id");
        if (idValue != null && (!(idValue instanceof String s) || s.length() > MAX_ID_LENGTH)) {
            throw new Invalid("id: must be a string of at most " + MAX_ID_LENGTH + " characters");
        }
        List<String> values = values(json.getValue("values"), !type.equals("all"));
        List<Purge> purges = new ArrayList<>(Math.max(1, values.size()));
        switch (type) {
            case "url" -> {
                for (int i = 0; i < values.size(); i++) {
                    purges.add(new Purge.Url(absolute(keys, values.get(i), i, host), soft));
                }
            }
            case "prefix" -> {
                for (int i = 0; i < values.size(); i++) {
                    CacheKey key = absolute(keys, values.get(i), i, host);
                    purges.add(new Purge.Prefix(key.host(), key.pathAndQuery(), soft));
                }
            }
            case "tag" -> {
                for (String tag : values) {
                    purges.add(new Purge.Tag(tag, host, soft));
                }
            }
            default -> {
                if (!values.isEmpty()) {
                    throw new Invalid("values: must be absent for type all (use host to narrow it)");
                }
                purges.add(new Purge.All(host, soft));
            }
        }
        return new PurgeCommand(type, soft, purges, sequence, (String) idValue);
    }

    private static Long sequence(Object raw) throws Invalid {
        if (raw == null) {
            return null;
        }
        if (!(raw instanceof Integer || raw instanceof Long) || ((Number) raw).longValue() < 1) {
            throw new Invalid("sequence: must be an integer of at least 1");
        }
        return ((Number) raw).longValue();
    }

    private static List<String> values(Object raw, boolean required) throws Invalid {
        if (raw == null) {
            if (required) {
                throw new Invalid("values: required, a non-empty array of strings");
            }
            return List.of();
        }
        if (!(raw instanceof JsonArray array)) {
            throw new Invalid("values: must be an array of strings");
        }
        if (required && array.isEmpty()) {
            throw new Invalid("values: must not be empty");
        }
        if (array.size() > MAX_VALUES) {
            throw new Invalid("values: at most " + MAX_VALUES + " per purge");
        }
        List<String> out = new ArrayList<>(array.size());
        for (int i = 0; i < array.size(); i++) {
            Object v = array.getValue(i);
            if (!(v instanceof String s) || s.isBlank()) {
                throw new Invalid("values[" + i + "]: must be a non-empty string");
            }
            if (s.length() > MAX_VALUE_LENGTH) {
                throw new Invalid("values[" + i + "]: longer than " + MAX_VALUE_LENGTH + " characters");
            }
            out.add(s);
        }
        return out;
    }

    private static CacheKey absolute(CacheKeyPolicy keys, String value, int i, String host) throws Invalid {
        CacheKey key;
        try {
            URI uri = new URI(value.trim());
            String scheme = uri.getScheme();
            if (scheme == null || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))
                    || uri.getRawAuthority() == null || uri.getHost() == null) {
                throw new Invalid("values[" + i + "]: must be an absolute http(s) URL");
            }
            key = keys.keyForAbsolute(uri);
        } catch (URISyntaxException | IllegalArgumentException e) {
            throw new Invalid("values[" + i + "]: not a valid URL");
        }
        if (host != null && !host.equals(key.host())) {
            throw new Invalid("values[" + i + "]: its host " + key.host() + " does not match host " + host);
        }
        return key;
    }

    /** For logs: {@code #42 (id) url soft: [..]}. */
    @Override
    public String toString() {
        String what = purges.size() == 1 ? purges.get(0).toString() : purges.size() + " " + type + " purges";
        return (sequence == null ? "manual" : "#" + sequence) + (id == null ? "" : " (" + id + ")") + " "
                + type.toLowerCase(Locale.ROOT) + (soft ? " soft" : "") + ": " + what;
    }
}
