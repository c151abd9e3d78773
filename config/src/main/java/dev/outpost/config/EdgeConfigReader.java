package dev.outpost.config;

import static dev.outpost.config.Converters.bool;
import static dev.outpost.config.Converters.duration;
import static dev.outpost.config.Converters.host;
import static dev.outpost.config.Converters.httpUrl;
import static dev.outpost.config.Converters.integer;
import static dev.outpost.config.Converters.name;
import static dev.outpost.config.Converters.port;
import static dev.outpost.config.Converters.positiveDuration;
import static dev.outpost.config.Converters.size;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/** Walks an edge config document. Keys, defaults and rules are those documented on {@link EdgeConfig}'s records. */
final class EdgeConfigReader {

    private static final long KIB = ByteSize.KIB;
    private static final Converter<Long> HEAD_LIMIT = size().check(
            v -> v >= KIB && v <= 64 * KIB, "it must be from 1KiB to 64KiB");
    private static final Converter<Long> POSITIVE_SIZE = size().check(v -> v > 0, "it must be greater than 0");
    private static final Converter<String> ORIGIN_HOST = new Converter<>(
            "a hostname or \"*\" for the default route",
            node -> node.isTextual() && node.asText().equals(OriginConfig.DEFAULT_HOST)
                    ? OriginConfig.DEFAULT_HOST
                    : host().convert().apply(node));

    private EdgeConfigReader() {
    }

    static EdgeConfig read(ConfigReader root) {
        NodeConfig node = node(root.section("node", true));
        ServerConfig server = server(root.section("server", true));
        AdminConfig admin = admin(root.section("admin", true));
        if (server.port() != 0 && server.port() == admin.port()) {
            root.problem("admin.port", "must differ from server.port (both are " + admin.port() + ")");
        }
        List<OriginConfig> origins = origins(root);
        OriginClientConfig originClient = originClient(root.section("origin-client", false));
        CacheConfig cache = cache(root.section("cache", false));
        PurgeConfig purge = purge(root.section("purge", false));
        AccessLogConfig accessLog = accessLog(root.section("access-log", false));
        root.finish();
        return new EdgeConfig(node, server, admin, origins, originClient, cache, purge, accessLog);
    }

    private static NodeConfig node(ConfigReader r) {
        NodeConfig node = new NodeConfig(r.require("id", "", name()), r.get("region", "default", name()));
        r.finish();
        return node;
    }

    private static ServerConfig server(ConfigReader r) {
        ServerConfig server = new ServerConfig(
                r.get("host", "0.0.0.0", host()),
                r.require("port", 0, port()),
                r.get("max-initial-line-length", 8 * KIB, HEAD_LIMIT),
                r.get("max-header-size", 8 * KIB, HEAD_LIMIT),
                r.get("request-head-timeout", Duration.ofSeconds(10), positiveDuration()),
                r.get("idle-timeout", Duration.ofSeconds(60), positiveDuration()),
                r.get("shutdown-timeout", Duration.ofSeconds(30), duration()),
                r.get("outermost", true, bool()),
                r.get("fast-memory-hits", true, bool()));
        r.finish();
        return server;
    }

    private static AdminConfig admin(ConfigReader r) {
        AdminConfig admin = new AdminConfig(
                r.get("host", "127.0.0.1", host()),
                r.require("port", 0, port()),
                r.optional("token", Converters.string()).orElse(null));
        r.finish();
        return admin;
    }

    private static List<OriginConfig> origins(ConfigReader root) {
        List<OriginConfig> origins = new ArrayList<>();
        Map<String, String> firstPathOfHost = new HashMap<>();
        for (ConfigReader r : root.sections("origins", true)) {
            String host = r.require("host", null, ORIGIN_HOST);
            List<URI> urls = originUrls(r);
            if (host != null && firstPathOfHost.putIfAbsent(host, r.path()) != null) {
                r.problem("host", "duplicate origin host \"" + host + "\" (already used by "
                        + firstPathOfHost.get(host) + ")");
            }
            if (host != null && urls != null) {
                origins.add(new OriginConfig(host, urls));
            }
            r.finish();
        }
        return origins;
    }

    /**
     * {@code url} (one server) or {@code urls} (servers chosen per cache key, see {@link OriginConfig}):
     * exactly one of them; the list non-empty, without duplicates, every URL with the same path. Null
     * when invalid (reported).
     */
    private static List<URI> originUrls(ConfigReader r) {
        boolean single = r.has("url");
        boolean several = r.has("urls");
        if (single && several) {
            r.problem("urls", "give either url (one server) or urls (several), not both");
            return null;
        }
        if (!several) {
            if (!single) {
                r.problem("url", "missing required key (url: an absolute http(s) URL like http://127.0.0.1:8000,"
                        + " or urls: a list of them)");
                return null;
            }
            URI url = r.require("url", null, httpUrl());
            return url == null ? null : List.of(url);
        }
        int problemsBefore = r.problemCount();
        List<URI> urls = r.list("urls", List.of(), httpUrl());
        if (r.problemCount() != problemsBefore) {
            return null;
        }
        if (urls.isEmpty()) {
            r.problem("urls", "expected at least one URL, got an empty list");
            return null;
        }
        Set<String> seen = new HashSet<>();
        String path = serverPath(urls.get(0));
        for (int i = 0; i < urls.size(); i++) {
            URI url = urls.get(i);
            if (!seen.add(server(url))) {
                r.problem("urls[" + i + "]", "duplicate URL " + url);
                return null;
            }
            if (!serverPath(url).equals(path)) {
                r.problem("urls[" + i + "]", "every URL of an origin must have the same path (\"" + path
                        + "\" in urls[0], \"" + serverPath(url) + "\" here): they are servers of one origin");
                return null;
            }
        }
        return urls;
    }

    /** The server a URL names: scheme, host and port (the scheme's default when absent). */
    private static String server(URI url) {
        String scheme = url.getScheme().toLowerCase(Locale.ROOT);
        int port = url.getPort() > 0 ? url.getPort() : ("https".equals(scheme) ? 443 : 80);
        return scheme + "://" + url.getHost().toLowerCase(Locale.ROOT) + ":" + port;
    }

    /** The path a URL prefixes request paths with: "" and "/" alike, a trailing "/" ignored. */
    private static String serverPath(URI url) {
        String path = url.getRawPath() == null ? "" : url.getRawPath();
        return path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    }

    private static OriginClientConfig originClient(ConfigReader r) {
        OriginClientConfig c = new OriginClientConfig(
                r.get("connect-timeout", Duration.ofSeconds(2), positiveDuration()),
                r.get("first-byte-timeout", Duration.ofSeconds(30), positiveDuration()),
                r.get("idle-timeout", Duration.ofSeconds(60), positiveDuration()),
                r.get("max-connections-per-origin", 64L, integer(1, 65535)).intValue(),
                r.get("down-hold", Duration.ofSeconds(5), duration()));
        r.finish();
        return c;
    }

    private static CacheConfig cache(ConfigReader r) {
        MemoryTierConfig memory = memory(r.section("memory", false));
        Optional<DiskTierConfig> disk = r.optionalSection("disk").map(EdgeConfigReader::disk);
        List<String> fields = r.list("targeted-fields", CacheConfig.DEFAULT_TARGETED_FIELDS, Converters.fieldName());
        Set<String> seen = new HashSet<>();
        for (String f : fields) {
            if (!seen.add(f.toLowerCase(Locale.ROOT))) {
                r.problem("targeted-fields", "duplicate field name \"" + f + "\" (field names are case-insensitive)");
            }
        }
        ConfigReader h = r.section("heuristic", false);
        HeuristicConfig heuristic = new HeuristicConfig(
                h.get("fraction", 0.1, Converters.fraction()), h.get("max", Duration.ofDays(1), duration()));
        h.finish();
        ConfigReader c = r.section("collapse", false);
        CollapseConfig collapse = new CollapseConfig(
                c.get("wait-timeout", Duration.ofSeconds(10), positiveDuration()),
                c.get("uncacheable-ttl", Duration.ofSeconds(30), duration()));
        c.finish();
        boolean strip = r.get("strip-surrogate-headers", true, bool());
        AcceptEncodingConfig acceptEncoding = acceptEncoding(r.section("accept-encoding", false));
        r.finish();
        return new CacheConfig(memory, disk, fields, heuristic, collapse, strip, acceptEncoding);
    }

    private static AcceptEncodingConfig acceptEncoding(ConfigReader r) {
        boolean normalise = r.get("normalise", true, bool());
        List<String> codings = r.list("codings", AcceptEncodingConfig.DEFAULT_CODINGS, Converters.contentCoding());
        Set<String> seen = new HashSet<>();
        for (String c : codings) {
            if (!seen.add(c)) {
                r.problem("codings", "duplicate coding \"" + c + "\"");
            }
        }
        if (normalise && codings.isEmpty()) {
            r.problem("codings", "must list at least one coding while normalise is true (set normalise: false to keep"
                    + " every request's Accept-Encoding as it is)");
        }
        r.finish();
        return new AcceptEncodingConfig(normalise, codings);
    }

    private static MemoryTierConfig memory(ConfigReader r) {
        long maxSize = r.get("max-size", 256 * ByteSize.MIB, POSITIVE_SIZE);
        long maxObjectSize = objectSize(r, maxSize, 8 * ByteSize.MIB);
        long fileMinSize = r.get("file-min-size", MemoryTierConfig.DEFAULT_FILE_MIN_SIZE, size());
        Optional<Path> fileDir = r.optional("file-dir", Directories.writableDirectory("memory file-dir"));
        if (fileMinSize == 0 && fileDir.isPresent()) {
            r.problem("file-dir", "file-min-size is 0, which keeps every body in direct buffers: remove file-dir "
                    + "or set a file-min-size");
        }
        r.finish();
        Optional<Path> dir = fileMinSize == 0 ? Optional.empty() : fileDir.or(EdgeConfigReader::defaultFileDir);
        return dir.isPresent() ? new MemoryTierConfig(maxSize, maxObjectSize, dir, fileMinSize)
                : new MemoryTierConfig(maxSize, maxObjectSize);
    }

    /** {@link MemoryTierConfig#DEFAULT_FILE_DIR} when it is an existing writable directory (Linux), else none. */
    private static Optional<Path> defaultFileDir() {
        Path dir = MemoryTierConfig.DEFAULT_FILE_DIR;
        return Files.isDirectory(dir) && Directories.problem(dir).isEmpty() ? Optional.of(dir) : Optional.empty();
    }

    private static DiskTierConfig disk(ConfigReader r) {
        Path path = r.require("path", null, Directories.writableDirectory("disk path"));
        long maxSize = r.require("max-size", 0L, POSITIVE_SIZE);
        // When max-size is missing or invalid (already reported), don't also compare object size against it.
        long maxObjectSize = objectSize(r, maxSize == 0 ? Long.MAX_VALUE : maxSize, ByteSize.GIB);
        Optional<Long> minFree = r.optional("min-free", POSITIVE_SIZE);
        r.finish();
        return new DiskTierConfig(path, maxSize, maxObjectSize,
                minFree.map(OptionalLong::of).orElse(OptionalLong.empty()));
    }

    /** {@code max-object-size}: the default is capped at max-size; an explicit value above it is an error. */
    private static long objectSize(ConfigReader r, long maxSize, long defaultValue) {
        long value = r.get("max-object-size", Math.min(defaultValue, maxSize), POSITIVE_SIZE);
        if (value > maxSize) {
            r.problem("max-object-size", "must not exceed max-size (" + ByteSize.format(value) + " > "
                    + ByteSize.format(maxSize) + ")");
        }
        return value;
    }

    /**
     * {@code purge}. An api-url needs an api-token (the feed always requires one); a token, grace or poll
     * interval without an api-url would do nothing, so each is reported rather than silently ignored.
     */
    private static PurgeConfig purge(ConfigReader r) {
        boolean urlGiven = r.has("api-url");
        Optional<URI> url = r.optional("api-url", httpUrl());
        String token = r.optional("api-token", Converters.string()).orElse(null);
        Optional<Duration> grace = r.optional("startup-grace", duration());
        Duration poll = r.get("poll-interval", PurgeConfig.DEFAULT_POLL_INTERVAL, positiveDuration());
        if (url.isPresent() && token == null && !r.has("api-token")) {
            r.problem("api-token", "missing required key when purge.api-url is set (the bearer token for the "
                    + "purge-api's catch-up feed)");
        }
        if (!urlGiven) {
            for (String key : List.of("api-token", "startup-grace", "poll-interval")) {
                if (r.has(key)) {
                    r.problem(key, "has no effect without purge.api-url");
                }
            }
        }
        r.finish();
        return new PurgeConfig(url, token, grace, poll);
    }

    private static AccessLogConfig accessLog(ConfigReader r) {
        AccessLogConfig log = new AccessLogConfig(r.get("enabled", false, bool()));
        r.finish();
        return log;
    }
}
