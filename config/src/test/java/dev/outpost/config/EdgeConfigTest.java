package dev.outpost.config;

import static dev.outpost.config.Problems.MINIMAL_EDGE;
import static dev.outpost.config.Problems.assertHas;
import static dev.outpost.config.Problems.assertOnly;
import static dev.outpost.config.Problems.ofEdge;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EdgeConfigTest {

    private static EdgeConfig parse(String yaml) {
        return ConfigLoader.parseEdge(yaml, Map.of());
    }

    /** The minimal config with {@code extra} appended (top-level sections). */
    private static List<ConfigProblem> withExtra(String extra) {
        return ofEdge(MINIMAL_EDGE + extra);
    }

    @Test
    void appliesEveryDefault() {
        EdgeConfig c = parse(MINIMAL_EDGE);
        assertEquals(new NodeConfig("edge-1", "default"), c.node());
        assertEquals(new ServerConfig("0.0.0.0", 8080, 8192, 8192, Duration.ofSeconds(10), Duration.ofSeconds(60),
                Duration.ofSeconds(30), true, true), c.server());
        assertEquals(new AdminConfig("127.0.0.1", 9080, null), c.admin());
        assertFalse(c.admin().hasToken());
        assertEquals(List.of(new OriginConfig("*", URI.create("http://127.0.0.1:8000"))), c.origins());
        assertTrue(c.origins().get(0).isDefaultRoute());
        assertEquals(new OriginClientConfig(Duration.ofSeconds(2), Duration.ofSeconds(30), Duration.ofSeconds(60), 64,
                Duration.ofSeconds(5)),
                c.originClient());
        CacheConfig cache = c.cache();
        assertEquals(defaultFiles(256 * ByteSize.MIB, 8 * ByteSize.MIB), cache.memory());
        assertTrue(cache.disk().isEmpty());
        assertEquals(List.of("CDN-Cache-Control"), cache.targetedFields());
        assertEquals(new HeuristicConfig(0.1, Duration.ofDays(1)), cache.heuristic());
        assertEquals(new CollapseConfig(Duration.ofSeconds(10), Duration.ofSeconds(30)), cache.collapse());
        assertTrue(cache.stripSurrogateHeaders());
        assertEquals(new AcceptEncodingConfig(true, List.of("br", "gzip", "zstd")), cache.acceptEncoding());
        assertTrue(c.purge().apiUrl().isEmpty());
        assertEquals(PurgeConfig.none(), c.purge());
        assertEquals(Duration.ofSeconds(30), c.purge().pollInterval());
        assertTrue(c.purge().startupGrace().isEmpty());
        assertFalse(c.accessLog().enabled());
    }

    @Test
    void readsEveryKey(@TempDir Path tmp) {
        EdgeConfig c = parse("""
                node: {id: edge-eu-1, region: eu-west}
                server:
                  host: 127.0.0.1
                  port: 0
                  max-initial-line-length: 4KiB
                  max-header-size: 16KiB
                  request-head-timeout: 5s
                  idle-timeout: 2m
                  shutdown-timeout: 0s
                  outermost: false
                  fast-memory-hits: false
                admin: {host: localhost, port: 0, token: s3cret}
                origins:
                  - {host: Example.COM, url: "https://origin.example.com/prefix/"}
                  - {host: "*", url: "http://127.0.0.1:8000"}
                origin-client:
                  connect-timeout: 500ms
                  first-byte-timeout: 1m
                  idle-timeout: 1h
                  max-connections-per-origin: 8
                  down-hold: 0s
                cache:
                  memory: {max-size: 1GB, max-object-size: 1048576, file-min-size: 64KiB, file-dir: "%s"}
                  disk: {path: "%s", max-size: 10GiB, min-free: 2GiB}
                  targeted-fields: [Outpost-Cache-Control, CDN-Cache-Control]
                  heuristic: {fraction: 0, max: 0s}
                  collapse: {wait-timeout: 1s, uncacheable-ttl: 1m}
                  strip-surrogate-headers: false
                purge: {api-url: "http://127.0.0.1:7070", api-token: "feed-token", startup-grace: 2m, poll-interval: 5s}
                access-log: {enabled: true}
                """.formatted(tmp.resolve("files"), tmp.resolve("disk")));
        assertEquals(new NodeConfig("edge-eu-1", "eu-west"), c.node());
        assertEquals(new ServerConfig("127.0.0.1", 0, 4096, 16384, Duration.ofSeconds(5), Duration.ofMinutes(2),
                Duration.ZERO, false, false), c.server());
        assertEquals(new AdminConfig("localhost", 0, "s3cret"), c.admin());
        assertFalse(c.admin().toString().contains("s3cret"));
        assertEquals("example.com", c.origins().get(0).host());
        assertEquals("/prefix/", c.origins().get(0).url().getPath());
        assertEquals(new OriginClientConfig(Duration.ofMillis(500), Duration.ofMinutes(1), Duration.ofHours(1), 8,
                Duration.ZERO),
                c.originClient());
        assertEquals(new MemoryTierConfig(1_000_000_000L, 1_048_576L, Optional.of(tmp.resolve("files")), 65_536),
                c.cache().memory());
        assertEquals(new DiskTierConfig(tmp.resolve("disk"), 10 * ByteSize.GIB, ByteSize.GIB,
                java.util.OptionalLong.of(2 * ByteSize.GIB)), c.cache().disk().get());
        assertEquals(List.of("Outpost-Cache-Control", "CDN-Cache-Control"), c.cache().targetedFields());
        assertEquals(new HeuristicConfig(0, Duration.ZERO), c.cache().heuristic());
        assertEquals(new CollapseConfig(Duration.ofSeconds(1), Duration.ofMinutes(1)), c.cache().collapse());
        assertFalse(c.cache().stripSurrogateHeaders());
        assertEquals(URI.create("http://127.0.0.1:7070"), c.purge().apiUrl().get());
        assertEquals("feed-token", c.purge().apiToken());
        assertEquals(Optional.of(Duration.ofMinutes(2)), c.purge().startupGrace());
        assertEquals(Duration.ofSeconds(5), c.purge().pollInterval());
        assertFalse(c.purge().toString().contains("feed-token"));
        assertTrue(c.accessLog().enabled());
    }

    @Test
    void recordsAreImmutable() {
        EdgeConfig c = parse(MINIMAL_EDGE);
        assertThrows(UnsupportedOperationException.class, () -> c.origins().clear());
        assertThrows(UnsupportedOperationException.class, () -> c.cache().targetedFields().clear());
    }

    @Test
    void reportsEveryProblemAtOnce() {
        ConfigException e = assertThrows(ConfigException.class, () -> parse("""
                node: {id: 1edge}
                server: {port: abc, idle-timeout: 30}
                admin: {port: 9080, tokn: x}
                origins:
                  - {host: "*", url: "ftp://origin"}
                  - {host: "*", url: "http://origin"}
                cache:
                  memory: {max-size: -5MiB}
                  disk: {max-size: 10GiB}
                purge: {api-url: "${PURGE_URL}"}
                color: blue
                """));
        List<ConfigProblem> p = e.problems();
        assertHas(p, "node.id", "expected a name");
        assertHas(p, "server.port", "expected an integer 0-65535, got \"abc\"");
        assertHas(p, "server.idle-timeout", "a unit is required");
        assertHas(p, "admin.tokn", "unknown key (did you mean \"token\"?)");
        assertHas(p, "origins[0].url", "the scheme must be http or https");
        assertHas(p, "origins[1].host", "duplicate origin host \"*\"");
        assertHas(p, "cache.memory.max-size", "expected a size like 256MiB, got \"-5MiB\"");
        assertHas(p, "cache.disk.path", "missing required key");
        assertHas(p, "purge.api-url", "PURGE_URL");
        assertHas(p, "color", "unknown key");
        assertEquals(10, p.size(), e.report());
        String[] lines = e.report().split("\n");
        assertEquals(10, lines.length);
        assertTrue(e.report().contains(
                "config error: cache.memory.max-size: expected a size like 256MiB, got \"-5MiB\""), e.report());
        assertEquals(e.getMessage(), e.report());
    }

    @Test
    void missingRequiredKeysAndSections() {
        assertOnly(ofEdge(MINIMAL_EDGE.replace("node: {id: edge-1}", "node: {region: eu}")), "node.id",
                "missing required key");
        assertOnly(ofEdge(MINIMAL_EDGE.replace("server: {port: 8080}", "server: {host: 0.0.0.0}")),
                "server.port", "missing required key");
        assertOnly(ofEdge(MINIMAL_EDGE.replace("admin: {port: 9080}", "")), "admin", "missing required section");
        List<ConfigProblem> p = ofEdge("origins: []\n");
        assertHas(p, "node", "missing required section");
        assertHas(p, "server", "missing required section");
        assertHas(p, "admin", "missing required section");
        assertHas(p, "origins", "at least one");
        assertEquals(4, p.size(), Problems.render(p));
        assertOnly(ofEdge(MINIMAL_EDGE.substring(0, MINIMAL_EDGE.indexOf("origins"))), "origins",
                "missing required list");
    }

    @Test
    void wrongTypes() {
        assertOnly(ofEdge(MINIMAL_EDGE.replace("server: {port: 8080}", "server: 8080")), "server",
                "expected a mapping of keys, got 8080");
        assertOnly(ofEdge(MINIMAL_EDGE.replace("node: {id: edge-1}", "node: {id: [a, b]}")), "node.id",
                "got a list");
        assertOnly(ofEdge(MINIMAL_EDGE.replace("node: {id: edge-1}", "node: {id: 12}")), "node.id", "got 12");
        assertOnly(withExtra("access-log: {enabled: yes please}"), "access-log.enabled",
                "expected true or false, got \"yes please\"");
        assertOnly(ofEdge(MINIMAL_EDGE.substring(0, MINIMAL_EDGE.indexOf("origins")) + "origins: {host: x}"),
                "origins", "expected a list, got a mapping");
        assertOnly(withExtra("cache: {heuristic: {fraction: 1.5}}"), "cache.heuristic.fraction",
                "expected a number from 0 to 1, got 1.5");
        assertOnly(withExtra("cache: {targeted-fields: CDN-Cache-Control}"), "cache.targeted-fields",
                "expected a list");
        assertOnly(withExtra("origin-client: {max-connections-per-origin: 0}"),
                "origin-client.max-connections-per-origin", "expected an integer 1-65535, got 0");
        List<ConfigProblem> p = ofEdge(MINIMAL_EDGE.replace("- {host: \"*\", url: \"http://127.0.0.1:8000\"}",
                "- just-a-string"));
        assertOnly(p, "origins[0]", "expected a mapping of keys, got \"just-a-string\"");
    }

    @Test
    void portRangeAndPortClash() {
        assertOnly(ofEdge(MINIMAL_EDGE.replace("8080", "70000")), "server.port",
                "expected an integer 0-65535, got 70000");
        assertOnly(ofEdge(MINIMAL_EDGE.replace("8080", "-1")), "server.port", "expected an integer 0-65535");
        assertOnly(ofEdge(MINIMAL_EDGE.replace("9080", "8080")), "admin.port", "must differ from server.port");
        EdgeConfig bothEphemeral = parse(MINIMAL_EDGE.replace("8080", "0").replace("9080", "0"));
        assertEquals(0, bothEphemeral.admin().port());
    }

    @Test
    void malformedSizesAndDurations() {
        assertOnly(withExtra("cache: {memory: {max-size: 256mib}}"), "cache.memory.max-size", "unknown unit \"mib\"");
        assertOnly(withExtra("cache: {memory: {max-size: 99999999TiB}}"), "cache.memory.max-size", "too large");
        assertOnly(withExtra("cache: {memory: {max-size: 0}}"), "cache.memory.max-size", "greater than 0");
        assertOnly(withExtra("cache: {memory: {max-size: -1}}"), "cache.memory.max-size", "cannot be negative");
        assertOnly(withExtra("cache: {collapse: {wait-timeout: -5s}}"), "cache.collapse.wait-timeout",
                "expected a duration like 30s, got \"-5s\" (durations cannot be negative)");
        assertOnly(withExtra("cache: {collapse: {wait-timeout: 0s}}"), "cache.collapse.wait-timeout",
                "greater than 0");
        assertOnly(withExtra("origin-client: {connect-timeout: 5 minutes}"), "origin-client.connect-timeout",
                "expected a duration like 30s");
        assertOnly(withExtra("origin-client: {down-hold: 5}"), "origin-client.down-hold",
                "a unit is required");
        assertOnly(ofEdge(MINIMAL_EDGE.replace("server: {port: 8080}", "server: {port: 8080, max-header-size: 512}")),
                "server.max-header-size", "from 1KiB to 64KiB");
        assertOnly(ofEdge(MINIMAL_EDGE.replace("server: {port: 8080}",
                "server: {port: 8080, max-initial-line-length: 1MiB}")), "server.max-initial-line-length",
                "from 1KiB to 64KiB");
    }

    /** The memory tier's defaults: bodies from 128KiB in files under /dev/shm, where it is a directory. */
    private static MemoryTierConfig defaultFiles(long maxSize, long maxObjectSize) {
        return java.nio.file.Files.isDirectory(MemoryTierConfig.DEFAULT_FILE_DIR)
                ? new MemoryTierConfig(maxSize, maxObjectSize, Optional.of(MemoryTierConfig.DEFAULT_FILE_DIR),
                        128 * ByteSize.KIB)
                : new MemoryTierConfig(maxSize, maxObjectSize);
    }

    @Test
    void memoryFilesAreOnByDefaultWhereThereIsADirectoryForThemAndCanBeTurnedOff(@TempDir Path tmp) {
        assertEquals(defaultFiles(4 * ByteSize.MIB, 4 * ByteSize.MIB),
                parse(MINIMAL_EDGE + "cache: {memory: {max-size: 4MiB}}").cache().memory());
        assertEquals(new MemoryTierConfig(4 * ByteSize.MIB, 4 * ByteSize.MIB, Optional.of(tmp), 128 * ByteSize.KIB),
                parse(MINIMAL_EDGE + "cache: {memory: {max-size: 4MiB, file-dir: \"" + tmp + "\"}}").cache().memory());
        MemoryTierConfig off = parse(MINIMAL_EDGE + "cache: {memory: {max-size: 4MiB, file-min-size: 0}}")
                .cache().memory();
        assertFalse(off.filesEnabled());
        assertEquals(new MemoryTierConfig(4 * ByteSize.MIB, 4 * ByteSize.MIB), off);
    }

    @Test
    void badMemoryFileSettingsAreNamed(@TempDir Path tmp) throws Exception {
        assertOnly(withExtra("cache: {memory: {file-min-size: 0, file-dir: \"" + tmp + "\"}}"),
                "cache.memory.file-dir", "file-min-size is 0");
        assertOnly(withExtra("cache: {memory: {file-min-size: -1}}"), "cache.memory.file-min-size",
                "cannot be negative");
        Path file = java.nio.file.Files.writeString(tmp.resolve("a-file"), "x");
        assertOnly(withExtra("cache: {memory: {file-dir: \"" + file + "\"}}"), "cache.memory.file-dir",
                "not a directory");
    }

    @Test
    void objectSizeMustFitTheTier(@TempDir Path tmp) {
        assertOnly(withExtra("cache: {memory: {max-size: 4MiB, max-object-size: 5MiB}}"),
                "cache.memory.max-object-size", "must not exceed max-size (5MiB > 4MiB)");
        // The default object size is capped at max-size rather than being an error.
        EdgeConfig c = parse(MINIMAL_EDGE + "cache: {memory: {max-size: 4MiB}, disk: {path: \"" + tmp
                + "\", max-size: 100MiB}}");
        assertEquals(4 * ByteSize.MIB, c.cache().memory().maxObjectSize());
        assertEquals(100 * ByteSize.MIB, c.cache().disk().get().maxObjectSize());
        assertOnly(withExtra("cache: {disk: {path: \"" + tmp + "\", max-size: 1GiB, max-object-size: 2GiB}}"),
                "cache.disk.max-object-size", "must not exceed max-size");
    }

    @Test
    void badOriginUrls() {
        String[][] cases = {
            {"ftp://origin.test", "the scheme must be http or https"},
            {"/relative/path", "the scheme must be http or https"},
            {"http://origin.test/?a=b", "a query is not allowed"},
            {"http://origin.test/#top", "a fragment is not allowed"},
            {"http:///no-host", "no valid host"},
            {"http://bad host/", "expected an absolute http(s) URL"},
        };
        for (String[] c : cases) {
            List<ConfigProblem> p = ofEdge(MINIMAL_EDGE.replace("http://127.0.0.1:8000", c[0]));
            assertOnly(p, "origins[0].url", c[1]);
        }
        assertOnly(withExtra("purge: {api-url: \"localhost:7070\", api-token: t}"), "purge.api-url", "http or https");
    }

    /** {@code urls}: several servers of one origin (chosen per cache key by the edge). */
    @Test
    void originWithSeveralServers() {
        EdgeConfig c = parse(MINIMAL_EDGE.replace("url: \"http://127.0.0.1:8000\"",
                "urls: [\"http://shield-0.shield:8080/base\", \"https://shield-1.shield/base/\"]"));
        OriginConfig o = c.origins().get(0);
        assertEquals(List.of(URI.create("http://shield-0.shield:8080/base"), URI.create("https://shield-1.shield/base/")),
                o.urls());
        assertEquals(URI.create("http://shield-0.shield:8080/base"), o.url());
        assertEquals(List.of(URI.create("http://127.0.0.1:8000")), parse(MINIMAL_EDGE).origins().get(0).urls());
    }

    @Test
    void badOriginServerLists() {
        String single = "url: \"http://127.0.0.1:8000\"";
        assertOnly(ofEdge(MINIMAL_EDGE.replace(single, single + ", urls: [\"http://a:1\"]")), "origins[0].urls",
                "either url (one server) or urls (several), not both");
        assertOnly(ofEdge(MINIMAL_EDGE.replace(single, "urls: []")), "origins[0].urls", "at least one URL");
        assertOnly(ofEdge(MINIMAL_EDGE.replace(single, "urls: \"http://a:1\"")), "origins[0].urls", "expected a list");
        assertOnly(ofEdge(MINIMAL_EDGE.replace(single, "urls: [\"http://a:1\", \"ftp://b\"]")), "origins[0].urls[1]",
                "the scheme must be http or https");
        assertOnly(ofEdge(MINIMAL_EDGE.replace(single, "urls: [\"http://a:1\", \"b:2\"]")), "origins[0].urls[1]",
                "expected an absolute http(s) URL");
        assertOnly(ofEdge(MINIMAL_EDGE.replace(single, "urls: [\"http://a/x\", \"http://b/y\"]")),
                "origins[0].urls[1]", "every URL of an origin must have the same path");
        assertOnly(ofEdge(MINIMAL_EDGE.replace(single, "urls: [\"http://a\", \"http://A:80/\"]")),
                "origins[0].urls[1]", "duplicate URL");
        assertOnly(ofEdge(MINIMAL_EDGE.replace(single, "")), "origins[0].url", "missing required key (url: ");
    }

    /** docs/purge-protocol.md "Config keys added": the feed needs a token; the other keys need a feed. */
    @Test
    void purgeSettings() {
        assertOnly(withExtra("purge: {api-url: \"http://purge:7070\"}"), "purge.api-token",
                "missing required key when purge.api-url is set");
        assertOnly(withExtra("purge: {api-token: t}"), "purge.api-token", "has no effect without purge.api-url");
        assertOnly(withExtra("purge: {startup-grace: 10s}"), "purge.startup-grace",
                "has no effect without purge.api-url");
        assertOnly(withExtra("purge: {api-url: \"http://purge:7070\", api-token: t, poll-interval: 0s}"),
                "purge.poll-interval", "");
        assertOnly(withExtra("purge: {api-url: \"http://purge:7070\", api-token: t, startup-grace: soon}"),
                "purge.startup-grace", "");
        assertOnly(withExtra("purge: {api-url: \"http://purge:7070\", api-token: t, poll-intervall: 5s}"),
                "purge.poll-intervall", "did you mean \"poll-interval\"");
        EdgeConfig c = parse(MINIMAL_EDGE + "purge: {api-url: \"http://purge:7070\", api-token: t}\n");
        assertEquals(Duration.ofSeconds(30), c.purge().pollInterval());
        assertTrue(c.purge().startupGrace().isEmpty());
        assertEquals(Duration.ZERO, parse(MINIMAL_EDGE
                + "purge: {api-url: \"http://purge:7070\", api-token: t, startup-grace: 0s}\n")
                .purge().startupGrace().orElseThrow());
    }

    @Test
    void originHosts() {
        String two = MINIMAL_EDGE + "  - {host: A.example, url: \"http://a\"}\n  - {host: a.EXAMPLE, url: \"http://b\"}\n";
        assertOnly(ofEdge(two), "origins[2].host", "duplicate origin host \"a.example\" (already used by origins[1])");
        assertOnly(ofEdge(MINIMAL_EDGE + "  - {host: \"bad host!\", url: \"http://a\"}\n"), "origins[1].host",
                "expected a hostname or \"*\"");
        assertOnly(ofEdge(MINIMAL_EDGE + "  - {url: \"http://a\"}\n"), "origins[1].host", "missing required key");
    }

    @Test
    void targetedFieldsMustBeFieldNames() {
        assertOnly(withExtra("cache: {targeted-fields: [CDN-Cache-Control, \"Bad Field\"]}"),
                "cache.targeted-fields[1]", "expected an HTTP field name");
        assertOnly(withExtra("cache: {targeted-fields: [CDN-Cache-Control, cdn-cache-control]}"),
                "cache.targeted-fields", "duplicate field name");
        assertEquals(List.of(), parse(MINIMAL_EDGE + "cache: {targeted-fields: []}").cache().targetedFields());
    }

    @Test
    void acceptEncodingCodingsAreContentCodingNames() {
        assertEquals(new AcceptEncodingConfig(true, List.of("gzip", "zstd")),
                parse(MINIMAL_EDGE + "cache: {accept-encoding: {codings: [GZIP, zstd]}}").cache().acceptEncoding());
        assertEquals(new AcceptEncodingConfig(true, List.of("gzip")),
                parse(MINIMAL_EDGE + "cache: {accept-encoding: {codings: [x-gzip]}}").cache().acceptEncoding());
        assertEquals(new AcceptEncodingConfig(false, List.of()),
                parse(MINIMAL_EDGE + "cache: {accept-encoding: {normalise: false, codings: []}}").cache().acceptEncoding());
        assertOnly(withExtra("cache: {accept-encoding: {codings: [gzip, identity]}}"),
                "cache.accept-encoding.codings[1]", "expected a content-coding name");
        assertOnly(withExtra("cache: {accept-encoding: {codings: [br, \"*\"]}}"),
                "cache.accept-encoding.codings[1]", "expected a content-coding name");
        assertOnly(withExtra("cache: {accept-encoding: {codings: [gzip, \"g zip\"]}}"),
                "cache.accept-encoding.codings[1]", "expected a content-coding name");
        assertOnly(withExtra("cache: {accept-encoding: {codings: [gzip, br, GZIP]}}"),
                "cache.accept-encoding.codings", "duplicate coding \"gzip\"");
        assertOnly(withExtra("cache: {accept-encoding: {codings: []}}"),
                "cache.accept-encoding.codings", "must list at least one coding while normalise is true");
        assertOnly(withExtra("cache: {accept-encoding: {normalise: yes please}}"),
                "cache.accept-encoding.normalise", "expected");
    }

    @Test
    void nodeNamesAndTokens() {
        assertOnly(ofEdge(MINIMAL_EDGE.replace("id: edge-1", "id: \"edge 1\"")), "node.id", "expected a name");
        assertOnly(ofEdge(MINIMAL_EDGE.replace("id: edge-1", "id: edge-1, region: \"-eu\"")), "node.region",
                "expected a name");
        assertOnly(ofEdge(MINIMAL_EDGE.replace("admin: {port: 9080}", "admin: {port: 9080, token: \"\"}")),
                "admin.token", "must not be empty");
        assertOnly(ofEdge(MINIMAL_EDGE.replace("admin: {port: 9080}", "admin: {port: 9080, token: 12345}")),
                "admin.token", "put it in quotes");
    }

    @Test
    void unknownKeysEverywhereWithSuggestions() {
        List<ConfigProblem> p = ofEdge("""
                node: {id: edge-1, regoin: eu}
                server: {port: 8080, max_header_size: 8KiB, idleTimeout: 5s}
                admin: {port: 9080}
                origins:
                  - {host: "*", url: "http://a", weight: 3}
                cache:
                  memroy: {max-size: 1GiB}
                  collapse: {wait-timeout: 1s, zzz: 1}
                acces-log: {enabled: true}
                """);
        assertHas(p, "node.regoin", "unknown key (did you mean \"region\"?)");
        assertHas(p, "server.max_header_size", "did you mean \"max-header-size\"?");
        assertHas(p, "server.idleTimeout", "did you mean \"idle-timeout\"?");
        assertHas(p, "origins[0].weight", "unknown key (known keys: host, url, urls)");
        assertHas(p, "cache.memroy", "did you mean \"memory\"?");
        assertHas(p, "cache.collapse.zzz", "unknown key");
        assertHas(p, "acces-log", "did you mean \"access-log\"?");
        assertEquals(7, p.size(), Problems.render(p));
    }

    @Test
    void diskPathMustBeUsable(@TempDir Path tmp) throws Exception {
        Path file = Files.writeString(tmp.resolve("a-file"), "x");
        assertOnly(withExtra("cache: {disk: {path: \"" + file + "\", max-size: 1GiB}}"), "cache.disk.path",
                "unreadable/unwritable disk path " + file + ": it exists but is not a directory");
        assertOnly(withExtra("cache: {disk: {path: \"" + file.resolve("sub") + "\", max-size: 1GiB}}"),
                "cache.disk.path", "is not a directory");
        EdgeConfig created = parse(MINIMAL_EDGE + "cache: {disk: {path: \"" + tmp.resolve("new/deeper")
                + "\", max-size: 1GiB}}");
        assertEquals(tmp.resolve("new/deeper"), created.cache().disk().get().path());
        assertFalse(Files.exists(tmp.resolve("new")), "validation must not create directories");
        EdgeConfig relative = parse(MINIMAL_EDGE + "cache: {disk: {path: ./data/x/../edge, max-size: 1GiB}}");
        assertEquals(Path.of("data/edge").toAbsolutePath(), relative.cache().disk().get().path());
    }

    @Test
    void nullValuesMeanAbsent() {
        EdgeConfig c = parse(MINIMAL_EDGE + "cache:\n  disk:\npurge:\n");
        assertTrue(c.cache().disk().isEmpty());
        assertNull(c.admin().token());
    }

    @Test
    void diskMinFreeDefaultsToFivePercentOfTheVolumeWithinBounds(@TempDir Path tmp) {
        assertOnly(withExtra("cache: {disk: {path: \"" + tmp.resolve("d") + "\", max-size: 1GiB, min-free: 0}}"),
                "cache.disk.min-free", "greater than 0");
        DiskTierConfig d = new DiskTierConfig(tmp.resolve("d"), ByteSize.GIB, ByteSize.MIB);
        assertEquals(256 * ByteSize.MIB, d.minFreeOn(ByteSize.GIB), "floor");
        assertEquals(4 * ByteSize.GIB, d.minFreeOn(100 * ByteSize.GIB), "5% of 100 GiB, capped");
        assertEquals(5 * (20 * ByteSize.GIB / 100), d.minFreeOn(20 * ByteSize.GIB), "5% of 20 GiB");
        DiskTierConfig explicit = new DiskTierConfig(tmp.resolve("d"), ByteSize.GIB, ByteSize.MIB,
                java.util.OptionalLong.of(ByteSize.MIB));
        assertEquals(ByteSize.MIB, explicit.minFreeOn(100 * ByteSize.GIB));
    }
}
