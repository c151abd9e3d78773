package dev.outpost.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.outpost.config.ConfigLoader;
import dev.outpost.config.EdgeConfig;
import dev.outpost.config.PurgeApiConfig;
import dev.outpost.deploy.Dockerfiles.Described;
import dev.outpost.deploy.Dockerfiles.Instruction;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/Dockerfile: no problem reported by the npm linter dockerfile-utils (every check it has, as
 * at least a warning), and each service image keeps the container contract its header states, checked
 * against the config each image carries (parsed with {@link ConfigLoader}).
 */
class DockerfileLintTest {

    static final String EDGE = "edge-node";
    static final String PURGE_API = "purge-api";
    static final String ORIGIN = "demo-origin";
    static final String USER = "10001:10001";

    private static Described dockerfile;

    @TempDir
    Path dataDir;

    @BeforeAll
    static void describe() {
        dockerfile = Dockerfiles.deployDockerfile();
    }

    @Test
    void theLinterReportsProblemsInABrokenDockerfile(@TempDir Path dir) throws Exception {
        Path broken = dir.resolve("Dockerfile");
        Files.writeString(broken, "FROM eclipse-temurin:21-jre\nexpose 80/xyz\nHEALTHCHECK --interval=5 CMD\nCOPY a\n");
        List<String> found = Dockerfiles.describe(broken).get(0).problems().stream()
                .map(p -> p.line() + ": " + p.message()).toList();
        assertTrue(found.contains("2: Invalid proto: xyz"), found.toString());
        assertTrue(found.contains("2: Instructions should be written in uppercase letters"), found.toString());
        assertTrue(found.contains("3: Missing command after HEALTHCHECK CMD"), found.toString());
        assertTrue(found.contains("4: COPY requires at least two arguments"), found.toString());
    }

    @Test
    void theDeployDockerfileHasNoProblems() {
        assertEquals(List.of(), dockerfile.problems());
        assertEquals(Set.of("runtime", EDGE, PURGE_API, ORIGIN), Set.copyOf(dockerfile.stages()));
    }

    @Test
    void everyImageRunsAsNonRootOnAGlibcJre21WithContainerAwareJvmFlags() {
        for (String target : List.of(EDGE, PURGE_API, ORIGIN)) {
            String base = dockerfile.baseImage(target);
            assertTrue(base.startsWith("eclipse-temurin:21-jre"), target + ": " + base);
            assertFalse(base.contains("alpine"), target + ": RocksDB's JNI library needs glibc, not musl: " + base);
            assertEquals(USER, dockerfile.last(target, "USER").args().get(0), target);

            List<String> entrypoint = dockerfile.last(target, "ENTRYPOINT").json();
            assertTrue(entrypoint != null, target + ": ENTRYPOINT must be exec form (signals reach java)");
            assertEquals("java", entrypoint.get(0), target);
            int percent = maxRamPercentage(entrypoint);
            assertTrue(percent >= 25 && percent <= 75, target + ": MaxRAMPercentage " + percent);
            assertTrue(entrypoint.contains("-XX:+ExitOnOutOfMemoryError"), target + ": " + entrypoint);
            String jar = entrypoint.get(entrypoint.indexOf("-jar") + 1);
            String builtJar = switch (target) {
                case EDGE -> "edge-node/target/edge-node.jar";
                case PURGE_API -> "purge-api/target/purge-api.jar";
                default -> "load-tests/target/demo-origin.jar";
            };
            assertEquals(dockerfile.destinationOf(target, builtJar), jar, target + " runs the jar it copies");
        }
    }

    @Test
    void theEdgeImageAgreesWithItsConfig() {
        EdgeConfig config = ConfigLoader.parseEdge(Deploy.read(configOf(EDGE)), imageEnv(EDGE, Map.of(
                "OUTPOST_NODE_ID", "edge-1", "OUTPOST_ORIGIN_URL", "http://shield:8080",
                "OUTPOST_ADMIN_TOKEN", "t", "OUTPOST_PURGE_API_URL", "http://purge-api:7070",
                "OUTPOST_PURGE_API_TOKEN", "f")));
        assertEquals(Set.of(config.server().port(), config.admin().port()), Set.copyOf(dockerfile.exposed(EDGE)));
        assertEquals("0.0.0.0", config.server().host());
        assertEquals("0.0.0.0", config.admin().host(), "probes and purge-api reach the admin port from outside");
        assertHealthcheck(EDGE, config.admin().port());
        assertTrue(config.cache().disk().isPresent(), "the edge image keeps its cache on its volume");
        Deploy.assertInside(dataDir, config.cache().disk().get().path(), "cache.disk.path");
        assertTrue(config.server().outermost(), "an edge unless OUTPOST_OUTERMOST=false");
    }

    @Test
    void thePurgeApiImageAgreesWithItsConfig() {
        PurgeApiConfig config = ConfigLoader.parsePurgeApi(Deploy.read(configOf(PURGE_API)), imageEnv(PURGE_API,
                Map.of("OUTPOST_PURGE_TOKEN", "p", "OUTPOST_ADMIN_TOKEN", "a", "OUTPOST_PURGE_API_TOKEN", "f",
                        "OUTPOST_EDGE_ADMIN_URL", "http://edge:9080")));
        assertEquals(List.of(config.server().port()), dockerfile.exposed(PURGE_API));
        assertEquals("0.0.0.0", config.server().host());
        assertHealthcheck(PURGE_API, config.server().port());
        Deploy.assertInside(dataDir, config.log().path(), "log.path");
    }

    @Test
    void theDemoOriginImageListensWhereItSays() {
        List<String> cmd = dockerfile.last(ORIGIN, "CMD").json();
        int port = Integer.parseInt(cmd.get(cmd.indexOf("--port") + 1));
        assertEquals("0.0.0.0", cmd.get(cmd.indexOf("--host") + 1));
        assertEquals(List.of(port), dockerfile.exposed(ORIGIN));
        List<String> check = dockerfile.last(ORIGIN, "HEALTHCHECK").json();
        assertTrue(check.get(check.size() - 1).startsWith("http://127.0.0.1:" + port + "/"), check.toString());
    }

    // ---------------------------------------------------------------- helpers

    static int maxRamPercentage(List<String> command) {
        return command.stream().filter(a -> a.startsWith("-XX:MaxRAMPercentage=")).findFirst()
                .map(a -> (int) Double.parseDouble(a.substring(a.indexOf('=') + 1)))
                .orElseThrow(() -> new AssertionError("no -XX:MaxRAMPercentage in " + command));
    }

    /** The config file an image starts with: the context file COPY'd to the CMD's --config path. */
    static Path configOf(String target) {
        List<String> cmd = dockerfile.last(target, "CMD").json();
        assertEquals("--config", cmd.get(0), target + " CMD");
        String path = cmd.get(1);
        Instruction copy = dockerfile.contextCopies(target).stream()
                .filter(i -> i.args().get(i.args().size() - 1).equals(path)).findFirst()
                .orElseThrow(() -> new AssertionError(target + " copies nothing to its --config " + path));
        return Deploy.ROOT.resolve(copy.args().get(0));
    }

    /** The image's ENV plus {@code more}, with its data directory (its VOLUME) moved here. */
    private Map<String, String> imageEnv(String target, Map<String, String> more) {
        Map<String, String> env = new HashMap<>(dockerfile.env(target));
        assertEquals(List.of(env.get("OUTPOST_DATA_DIR")), dockerfile.last(target, "VOLUME").json(),
                target + ": the VOLUME is OUTPOST_DATA_DIR");
        env.putAll(more);
        return Deploy.withDataDir(env, dataDir);
    }

    private static void assertHealthcheck(String target, int port) {
        Instruction check = dockerfile.last(target, "HEALTHCHECK");
        List<String> command = check.json();
        assertTrue(command != null, target + ": HEALTHCHECK CMD in exec form: " + check);
        // curl ships with the eclipse-temurin Ubuntu images (the base of every target).
        assertEquals(List.of("CMD", "curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:" + port + "/healthz"),
                command, target);
    }
}
