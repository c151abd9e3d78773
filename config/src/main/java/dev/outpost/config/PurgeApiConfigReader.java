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
        root.finish();
        return new PurgeApiConfig(server, auth, log, edges);
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
                ret.get("max-age", Duration.ofDays(7), Converters.positiveDuration()));
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
