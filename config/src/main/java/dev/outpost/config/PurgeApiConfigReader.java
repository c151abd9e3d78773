package dev.outpost.config;

import static dev.outpost.config.Converters.host;
import static dev.outpost.config.Converters.httpUrl;
import static dev.outpost.config.Converters.name;
import static dev.outpost.config.Converters.port;
import static dev.outpost.config.Converters.string;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/** Walks a purge-api config document. Keys, defaults and rules are those documented on {@link PurgeApiConfig}. */
final class PurgeApiConfigReader {

    private PurgeApiConfigReader() {
    }

    static PurgeApiConfig read(ConfigReader root) {
        ConfigReader s = root.section("server", true);
        PurgeServerConfig server = new PurgeServerConfig(s.get("host", "0.0.0.0", host()), s.require("port", 0, port()));
        s.finish();
        AuthConfig auth = auth(root.section("auth", true));
        PurgeLogConfig log = log(root.section("log", true));
        List<EdgeTargetConfig> edges = edges(root);
        FanoutConfig fanout = fanout(root.section("fanout", false));
        PurgeLimitsConfig limits = limits(root.section("limits", false));
        root.finish();
        return new PurgeApiConfig(server, auth, log, edges, fanout, limits);
    }

    private static final Converter<OptionalInt> ATTEMPTS = new Converter<>(
            "an integer 1-1000000 or \"unbounded\"",
            node -> node.isTextual() && node.asText().strip().equals("unbounded")
                    ? OptionalInt.empty()
                    : OptionalInt.of(Converters.integer(1, 1_000_000).convert().apply(node).intValue()));

    private static FanoutConfig fanout(ConfigReader r) {
        FanoutConfig d = FanoutConfig.DEFAULTS;
        FanoutConfig fanout = new FanoutConfig(
                r.get("timeout", d.timeout(), Converters.positiveDuration()),
                r.get("max-attempts", d.maxAttempts(), ATTEMPTS),
                r.get("initial-backoff", d.initialBackoff(), Converters.positiveDuration()),
                r.get("max-backoff", d.maxBackoff(), Converters.positiveDuration()),
                r.get("probe-interval", d.probeInterval(), Converters.positiveDuration()));
        if (fanout.maxBackoff().compareTo(fanout.initialBackoff()) < 0) {
            r.problem("max-backoff", "must be at least initial-backoff (" + fanout.initialBackoff().toMillis()
                    + "ms), got " + fanout.maxBackoff().toMillis() + "ms");
        }
        r.finish();
        return fanout;
    }

    private static PurgeLimitsConfig limits(ConfigReader r) {
        PurgeLimitsConfig d = PurgeLimitsConfig.DEFAULTS;
        PurgeLimitsConfig limits = new PurgeLimitsConfig(
                r.get("max-body-size", d.maxBodySize(), Converters.size().check(
                        v -> v >= ByteSize.KIB && v <= PurgeLimitsConfig.MAX_BODY,
                        "it must be from 1KiB to 1000KiB (the edges accept at most 1MiB)")),
                r.get("max-values", (long) d.maxValues(),
                        Converters.integer(1, PurgeLimitsConfig.EDGE_MAX_VALUES)).intValue(),
                r.get("max-value-length", (long) d.maxValueLength(),
                        Converters.integer(1, PurgeLimitsConfig.EDGE_MAX_VALUE_LENGTH)).intValue(),
                r.get("max-wait", d.maxWait(), Converters.positiveDuration()));
        r.finish();
        return limits;
    }

    private static AuthConfig auth(ConfigReader r) {
        List<ApiToken> tokens = new ArrayList<>();
        Unique names = new Unique();
        Unique secrets = new Unique();
        for (ConfigReader t : r.sections("tokens", true)) {
            String name = t.require("name", null, name());
            String token = t.require("token", null, string());
            names.check(t, "name", name, "duplicate token name \"" + name + "\"");
            secrets.check(t, "token", token, "duplicate token (each client needs its own)");
            if (name != null && token != null) {
                tokens.add(new ApiToken(name, token));
            }
            t.finish();
        }
        r.finish();
        return new AuthConfig(tokens);
    }

    private static PurgeLogConfig log(ConfigReader r) {
        var path = r.require("path", null, Directories.writableDirectory("log path"));
        ConfigReader ret = r.section("retention", false);
        RetentionConfig retention = new RetentionConfig(
                ret.get("max-entries", 1_000_000L, Converters.integer(1, Long.MAX_VALUE)),
                ret.get("max-age", Duration.ofDays(7), Converters.positiveDuration()),
                ret.get("check-interval", Duration.ofMinutes(1), Converters.positiveDuration()));
        ret.finish();
        r.finish();
        return new PurgeLogConfig(path, retention);
    }

    private static List<EdgeTargetConfig> edges(ConfigReader root) {
        List<EdgeTargetConfig> edges = new ArrayList<>();
        Unique ids = new Unique();
        for (ConfigReader e : root.sections("edges", true)) {
            String id = e.require("id", null, name());
            String region = e.get("region", "default", name());
            URI adminUrl = e.require("admin-url", null, httpUrl());
            String token = e.require("token", null, string());
            ids.check(e, "id", id, "duplicate edge id \"" + id + "\"");
            if (id != null && adminUrl != null && token != null) {
                edges.add(new EdgeTargetConfig(id, region, adminUrl, token));
            }
            e.finish();
        }
        return edges;
    }

    /** Reports a value already seen at another path. */
    private static final class Unique {
        private final Map<String, String> firstPath = new HashMap<>();

        void check(ConfigReader r, String key, String value, String message) {
            if (value != null && firstPath.putIfAbsent(value, r.path(key)) != null) {
                r.problem(key, message + " (first at " + firstPath.get(value) + ")");
            }
        }
    }
}
