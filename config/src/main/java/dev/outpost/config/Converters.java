package dev.outpost.config;

import com.fasterxml.jackson.databind.JsonNode;
import dev.outpost.config.Converter.BadValue;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Pattern;

/** The scalar types configuration files use. Each accepts strings too, since {@code ${VAR}} yields strings. */
final class Converters {

    /** Names such as node ids and regions: a letter, then letters, digits, '.', '_' or '-'. */
    static final Pattern NAME = Pattern.compile("[A-Za-z][A-Za-z0-9._-]*");
    /** An HTTP field name (RFC 9110 token). */
    static final Pattern TOKEN = Pattern.compile("[!#$%&'*+\\-.^_`|~0-9A-Za-z]+");
    private static final Pattern HOSTNAME = Pattern.compile(
            "(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\\.?");
    private static final Pattern INTEGER = Pattern.compile("[+-]?\\d+");

    private Converters() {
    }

    /** A non-empty string. Numbers and booleans are refused, so that {@code 0123} or {@code no} can't be misread. */
    static Converter<String> string() {
        return new Converter<>("a string", node -> {
            if (!node.isTextual()) {
                throw new BadValue("put it in quotes to use it as a string");
            }
            if (node.asText().isBlank()) {
                throw new BadValue("it must not be empty");
            }
            return node.asText();
        });
    }

    /** A name such as a node id: {@link #NAME}. */
    static Converter<String> name() {
        return new Converter<>("a name like edge-eu-1 (a letter, then letters, digits, '.', '_' or '-')",
                node -> {
                    if (!node.isTextual() || !NAME.matcher(node.asText()).matches()) {
                        throw new BadValue(null);
                    }
                    return node.asText();
                });
    }

    /** An HTTP field name such as {@code CDN-Cache-Control}. */
    static Converter<String> fieldName() {
        return new Converter<>("an HTTP field name like CDN-Cache-Control", node -> {
            if (!node.isTextual() || !TOKEN.matcher(node.asText()).matches()) {
                throw new BadValue(null);
            }
            return node.asText();
        });
    }

    /** A content-coding name such as {@code gzip} (stored lower-case); not {@code identity} or {@code *}. */
    static Converter<String> contentCoding() {
        return new Converter<>("a content-coding name like gzip or br (not identity or *)", node -> {
            if (!node.isTextual() || !TOKEN.matcher(node.asText()).matches()) {
                throw new BadValue(null);
            }
            String coding = node.asText().toLowerCase(Locale.ROOT);
            if (coding.equals("identity") || coding.equals("*")) {
                throw new BadValue(null);
            }
            return coding.equals("x-gzip") ? "gzip" : coding;
        });
    }

    /** A hostname (stored lower-case) or an IP literal, for listen addresses and origin routes. */
    static Converter<String> host() {
        return new Converter<>("a hostname or IP address", node -> {
            if (!node.isTextual()) {
                throw new BadValue(null);
            }
            String host = node.asText().toLowerCase(Locale.ROOT);
            boolean ipv6 = host.contains(":") && host.matches("[0-9a-f:.]+");
            if (!ipv6 && !HOSTNAME.matcher(host).matches()) {
                throw new BadValue(null);
            }
            return host;
        });
    }

    static Converter<Long> integer(long min, long max) {
        return new Converter<>("an integer " + min + "-" + max, node -> {
            long value;
            if (node.isIntegralNumber() && node.canConvertToLong()) {
                value = node.asLong();
            } else if (node.isTextual() && INTEGER.matcher(node.asText().strip()).matches()) {
                try {
                    value = Long.parseLong(node.asText().strip());
                } catch (NumberFormatException e) {
                    throw new BadValue(null);
                }
            } else {
                throw new BadValue(null);
            }
            if (value < min || value > max) {
                throw new BadValue(null);
            }
            return value;
        });
    }

    static Converter<Integer> port() {
        return integer(0, 65535).map("an integer 0-65535", Long::intValue);
    }

    static Converter<Long> size() {
        return new Converter<>("a size like 256MiB", node -> {
            if (node.isIntegralNumber() && node.canConvertToLong() && node.asLong() >= 0) {
                return node.asLong();
            }
            if (node.isIntegralNumber() && node.canConvertToLong()) {
                throw new BadValue("sizes cannot be negative");
            }
            if (!node.isTextual()) {
                throw new BadValue(null);
            }
            try {
                return ByteSize.parseOrExplain(node.asText());
            } catch (IllegalArgumentException e) {
                throw new BadValue(e.getMessage());
            }
        });
    }

    static Converter<Duration> duration() {
        return new Converter<>("a duration like 30s", node -> {
            if (node.isNumber()) {
                throw new BadValue("a unit is required: ms, s, m, h or d");
            }
            if (!node.isTextual()) {
                throw new BadValue(null);
            }
            try {
                return Durations.parseOrExplain(node.asText());
            } catch (IllegalArgumentException e) {
                throw new BadValue(e.getMessage());
            }
        });
    }

    static Converter<Duration> positiveDuration() {
        return duration().check(d -> !d.isZero(), "it must be greater than 0");
    }

    static Converter<Boolean> bool() {
        return new Converter<>("true or false", node -> {
            if (node.isBoolean()) {
                return node.asBoolean();
            }
            if (node.isTextual() && (node.asText().equals("true") || node.asText().equals("false"))) {
                return Boolean.parseBoolean(node.asText());
            }
            throw new BadValue(null);
        });
    }

    /** A number from 0 to 1 inclusive. */
    static Converter<Double> fraction() {
        return new Converter<>("a number from 0 to 1", node -> {
            double value;
            if (node.isNumber()) {
                value = node.asDouble();
            } else if (node.isTextual()) {
                try {
                    value = Double.parseDouble(node.asText().strip());
                } catch (NumberFormatException e) {
                    throw new BadValue(null);
                }
            } else {
                throw new BadValue(null);
            }
            if (!(value >= 0 && value <= 1)) {
                throw new BadValue(null);
            }
            return value;
        });
    }

    /**
     * An absolute http or https URL with a host; a path is allowed, a query or fragment is not.
     */
    static Converter<URI> httpUrl() {
        return new Converter<>("an absolute http(s) URL like http://127.0.0.1:8000", node -> {
            if (!node.isTextual()) {
                throw new BadValue(null);
            }
            URI uri;
            try {
                uri = new URI(node.asText().strip());
            } catch (URISyntaxException e) {
                throw new BadValue(e.getReason());
            }
            String scheme = uri.getScheme() == null ? null : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!"http".equals(scheme) && !"https".equals(scheme)) {
                throw new BadValue("the scheme must be http or https");
            }
            if (uri.getHost() == null) {
                throw new BadValue("it has no valid host");
            }
            if (uri.getRawQuery() != null) {
                throw new BadValue("a query is not allowed");
            }
            if (uri.getRawFragment() != null) {
                throw new BadValue("a fragment is not allowed");
            }
            return uri;
        });
    }
}
