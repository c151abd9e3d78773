package dev.outpost.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.outpost.deploy.Dockerfiles.Described;
import dev.outpost.deploy.Dockerfiles.Instruction;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;

/**
 * Every file deploy/Dockerfile copies from the build context exists once {@code ./mvnw package} has run
 * (so this runs in the integration-test phase, after every module is packaged), is a file, is sent in
 * the context (not excluded by deploy/Dockerfile.dockerignore), and every jar is runnable.
 */
class DockerBuildContextIT {

    @Test
    void everyCopiedPathIsProducedByTheBuildAndSentInTheContext() throws Exception {
        Described dockerfile = Dockerfiles.deployDockerfile();
        List<String> ignore = Deploy.read(Deploy.DIR.resolve("Dockerfile.dockerignore")).lines()
                .map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        List<String> copied = new ArrayList<>();
        for (String stage : dockerfile.stages()) {
            for (Instruction copy : dockerfile.contextCopies(stage)) {
                for (String source : copy.args().subList(0, copy.args().size() - 1)) {
                    copied.add(source);
                    Path file = Deploy.ROOT.resolve(source);
                    assertTrue(Files.isRegularFile(file), stage + " copies " + source
                            + ", which the build did not produce (run ./mvnw -B -DskipTests package)");
                    assertFalse(ignored(ignore, source), source + " is excluded by Dockerfile.dockerignore");
                    if (source.endsWith(".jar")) {
                        try (JarFile jar = new JarFile(file.toFile())) {
                            assertNotNull(jar.getManifest().getMainAttributes().getValue("Main-Class"),
                                    source + " is not runnable with java -jar");
                        }
                    }
                }
            }
        }
        assertTrue(copied.containsAll(List.of("edge-node/target/edge-node.jar", "purge-api/target/purge-api.jar",
                "load-tests/target/demo-origin.jar")), copied.toString());
        assertTrue(ignored(ignore, "edge-node/src/main/java/dev/outpost/edge/EdgeNode.java"), "sources stay out");
        assertEquals(true, ignored(ignore, "README.md"));
    }

    /**
     * Docker's .dockerignore rule: the last pattern matching the path, or one of its parent
     * directories, decides; {@code !} patterns re-include.
     */
    static boolean ignored(List<String> patterns, String path) {
        boolean excluded = false;
        for (String line : patterns) {
            boolean include = line.startsWith("!");
            var matcher = FileSystems.getDefault().getPathMatcher("glob:" + (include ? line.substring(1) : line));
            for (Path p = Path.of(path); p != null; p = p.getParent()) {
                if (matcher.matches(p)) {
                    excluded = !include;
                    break;
                }
            }
        }
        return excluded;
    }
}
