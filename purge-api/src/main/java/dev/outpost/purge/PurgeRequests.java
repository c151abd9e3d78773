package dev.outpost.purge;

import dev.outpost.config.PurgeLimitsConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Validates the body of {@code POST /v1/purges} (ARCHITECTURE §5) into a {@link PurgeCommand}. The OpenAPI
 * contract already checks the shape (types, required fields, sizes); this adds what a schema cannot say and
 * repeats the shape checks so the rules hold without it. The rules are the edge's own ({@code POST /purge} on
 * its admin port) or stricter, so that a purge accepted here is never refused by an edge:
 * <ul>
 * <li>{@code url} values are absolute http(s) URLs; {@code prefix} values absolute http(s) URL prefixes; the
 *     scheme does not narrow the match. They carry their host, so {@code host} is refused with them (the edge
 *     accepts a {@code host} equal to every value's host, which narrows nothing; refusing it spares a second,
 *     possibly different, host normalisation here).</li>
 * <li>{@code tag} values are names; {@code host} optionally narrows them to one host.</li>
 * <li>{@code all} takes no values; {@code host} optionally narrows it.</li>
 * <li>At most {@code limits.max-values} values of at most {@code limits.max-value-length} characters, none
 *     blank; no field other than type, values, host and soft.</li>
 * </ul>
 */
public final class PurgeRequests {

    private static final Set<String> FIELDS = Set.of("type", "values", "host", "soft");
    /** A host name or IPv4 address, or a bracketed IPv6 literal, with an optional port. */
    private static final Pattern HOST = Pattern.compile(
            "([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\\.?"
                    + "|\\[[0-9A-Fa-f:.]+\\])(:[0-9]{1,5})?");

    private final PurgeLimitsConfig limits;

    public PurgeRequests(PurgeLimitsConfig limits) {
        this.limits = limits;
    }

    /** The purge {@code body} asks for; throws BadRequest naming the field otherwise. */
    public PurgeCommand parse(JsonObject body) throws BadRequest {
        if (body == null) {
            throw new BadRequest("body", "a JSON object is required");
        }
        for (String name : body.fieldNames()) {
            if (!FIELDS.contains(name)) {
                throw new BadRequest(name, "unknown field (allowed: type, values, host, soft)");
            }
        }
        PurgeType type = type(body.getValue("type"));
        Object soft = body.getValue("soft");
        if (soft != null && !(soft instanceof Boolean)) {
            throw new BadRequest("soft", "must be true or false");
        }
        String host = host(body.getValue("host"));
        List<String> values = values(body.getValue("values"), type);
        if (type == PurgeType.URL || type == PurgeType.PREFIX) {
            if (host != null) {
                throw new BadRequest("host", "only with type tag or all; " + type.wire()
                        + " values are absolute URLs that carry their host");
            }
            for (int i = 0; i < values.size(); i++) {
                checkUrl(values.get(i), i);
            }
        }
        return new PurgeCommand(type, values, host, Boolean.TRUE.equals(soft));
    }

    private static PurgeType type(Object raw) throws BadRequest {
        if (!(raw instanceof String s)) {
            throw new BadRequest("type", "required, one of url, prefix, tag, all");
        }
        try {
            return PurgeType.fromWire(s);
        } catch (IllegalArgumentException e) {
            throw new BadRequest("type", "unknown type '" + s + "', one of url, prefix, tag, all");
        }
    }

    private static String host(Object raw) throws BadRequest {
        if (raw == null) {
            return null;
        }
        if (!(raw instanceof String h) || h.length() > 255 || !HOST.matcher(h).matches()) {
            throw new BadRequest("host", "must be a host name or IP address with an optional port, like "
                    + "site.example or site.example:8443");
        }
        return h;
    }

    private List<String> values(Object raw, PurgeType type) throws BadRequest {
        if (type == PurgeType.ALL) {
            if (raw != null && !(raw instanceof JsonArray a && a.isEmpty())) {
                throw new BadRequest("values", "must be absent for type all (use host to narrow it)");
            }
            return List.of();
        }
        if (raw == null) {
            throw new BadRequest("values", "required for type " + type.wire() + ", a non-empty array of strings");
        }
        if (!(raw instanceof JsonArray array)) {
            throw new BadRequest("values", "must be an array of strings");
        }
        if (array.isEmpty()) {
            throw new BadRequest("values", "must not be empty");
        }
        if (array.size() > limits.maxValues()) {
            throw new BadRequest("values", "at most " + limits.maxValues() + " values per purge, got "
                    + array.size());
        }
        List<String> out = new ArrayList<>(array.size());
        for (int i = 0; i < array.size(); i++) {
            Object v = array.getValue(i);
            if (!(v instanceof String s) || s.isBlank()) {
                throw new BadRequest("values[" + i + "]", "must be a non-empty string");
            }
            if (s.length() > limits.maxValueLength()) {
                throw new BadRequest("values[" + i + "]", "longer than " + limits.maxValueLength() + " characters");
            }
            out.add(s);
        }
        return out;
    }

    private static void checkUrl(String value, int i) throws BadRequest {
        String field = "values[" + i + "]";
        URI uri;
        try {
            uri = new URI(value.trim());
        } catch (URISyntaxException e) {
            throw new BadRequest(field, "not a valid URL (" + e.getReason() + ")");
        }
        String scheme = uri.getScheme();
        if (scheme == null || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))
                || uri.getRawAuthority() == null || uri.getHost() == null) {
            throw new BadRequest(field, "must be an absolute http(s) URL like http://site.example/path");
        }
    }
}
