package dev.outpost.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every shipped example must load; a few are also checked for what the README demo relies on. */
class ExamplesTest {

    static Path examples() {
        Path inModule = Path.of("examples");
        return Files.isDirectory(inModule) ? inModule : Path.of("config", "examples");
    }

    static Stream<Path> exampleFiles() throws IOException {
        try (Stream<Path> files = Files.list(examples())) {
            List<Path> yaml = files.filter(f -> f.toString().endsWith(".yaml") || f.toString().endsWith(".yml"))
                    .sorted().toList();
            assertFalse(yaml.isEmpty(), "no examples found in " + examples().toAbsolutePath());
            return yaml.stream();
        }
    }

    @ParameterizedTest
    @MethodSource("exampleFiles")
    void everyExampleLoads(Path file) throws IOException {
        String yaml = Files.readString(file);
        if (file.getFileName().toString().startsWith("purge-api")) {
            ConfigLoader.parsePurgeApi(yaml, Map.of());
        } else {
            ConfigLoader.parseEdge(yaml, Map.of());
        }
    }

    @Test
    void allFourExamplesShip() {
        for (String name : List.of("edge.yaml", "edge-with-disk.yaml", "demo-edge.yaml", "purge-api.yaml",
                "purge-api-demo.yaml")) {
            assertTrue(Files.isRegularFile(examples().resolve(name)), name);
        }
    }

    @Test
    void edgeExample() {
        EdgeConfig c = ConfigLoader.parseEdge(read("edge.yaml"), Map.of("OUTPOST_ADMIN_TOKEN", "from-env"));
        assertEquals(8080, c.server().port());
        assertEquals(9080, c.admin().port());
        assertEquals("from-env", c.admin().token());
        assertEquals(List.of(new OriginConfig("*", URI.create("http://127.0.0.1:8000"))), c.origins());
        assertTrue(c.cache().disk().isEmpty());
        // The annotated example spells out the defaults, so it must equal the minimal config plus its choices.
        EdgeConfig minimal = ConfigLoader.parseEdge(Problems.MINIMAL_EDGE, Map.of());
        assertEquals(minimal.node(), c.node());
        assertEquals(minimal.server(), c.server());
        assertEquals(minimal.cache(), c.cache());
        assertEquals(minimal.originClient(), c.originClient());
    }

    @Test
    void edgeWithDiskExample() {
        EdgeConfig c = ConfigLoader.parseEdge(read("edge-with-disk.yaml"), Map.of());
        DiskTierConfig disk = c.cache().disk().orElseThrow();
        assertEquals(Path.of("data", "edge-1").toAbsolutePath(), disk.path());
        assertEquals(ByteSize.GIB, disk.maxSize());
        assertEquals(URI.create("http://127.0.0.1:7070"), c.purge().apiUrl().orElseThrow());
        assertEquals("change-me-too", c.purge().apiToken());
        assertEquals(java.time.Duration.ofMinutes(2), c.purge().startupGrace().orElseThrow());
    }

    @Test
    void demoExample() {
        EdgeConfig c = ConfigLoader.parseEdge(read("demo-edge.yaml"), Map.of());
        assertEquals("edge-demo", c.node().id());
        assertEquals(8080, c.server().port());
        assertEquals(9080, c.admin().port());
        assertEquals(URI.create("http://127.0.0.1:8081"), c.origins().get(0).url());
        assertEquals(64 * ByteSize.MIB, c.cache().memory().maxSize());
        assertTrue(c.accessLog().enabled());
    }

    @Test
    void purgeApiExample() {
        PurgeApiConfig c = ConfigLoader.parsePurgeApi(read("purge-api.yaml"), Map.of());
        assertEquals(7070, c.server().port());
        assertEquals("dev-token", c.auth().tokens().get(0).token());
        assertEquals(Path.of("data", "purge-log").toAbsolutePath(), c.log().path());
        assertEquals(2, c.edges().size());
        assertEquals(FanoutConfig.DEFAULTS, c.fanout(), "the example documents the defaults");
        assertEquals(PurgeLimitsConfig.DEFAULTS, c.limits(), "the example documents the defaults");
        assertEquals("secret", ConfigLoader.parsePurgeApi(read("purge-api.yaml"),
                Map.of("OUTPOST_PURGE_TOKEN", "secret")).auth().tokens().get(0).token());
    }

    @Test
    void purgeApiDemoPushesToTheDemoEdgeWithItsToken() {
        PurgeApiConfig purge = ConfigLoader.parsePurgeApi(read("purge-api-demo.yaml"), Map.of());
        EdgeConfig edge = ConfigLoader.parseEdge(read("demo-edge.yaml"), Map.of());
        assertEquals(1, purge.edges().size());
        assertEquals(edge.node().id(), purge.edges().get(0).id());
        assertEquals(URI.create("http://127.0.0.1:" + edge.admin().port()), purge.edges().get(0).adminUrl());
        assertEquals(edge.admin().token(), purge.edges().get(0).token());
        assertEquals("127.0.0.1", purge.server().host());
        assertEquals(URI.create("http://127.0.0.1:" + purge.server().port()), edge.purge().apiUrl().orElseThrow(),
                "the demo edge catches up from the demo purge-api");
        assertEquals(purge.auth().tokens().get(0).token(), edge.purge().apiToken());
    }

    private static String read(String name) {
        try {
            return Files.readString(examples().resolve(name));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
