package dev.outpost.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Dockerfiles as the npm linter sees them: {@code target/lint/lint.js} runs dockerfile-utils'
 * validator and dockerfile-ast's parser and prints both as JSON, read here into records.
 */
final class Dockerfiles {

    record Problem(int line, String severity, String message) {
    }

    /** One instruction; {@code json} holds the strings of an exec-form one, else null. */
    record Instruction(String stage, int line, String keyword, Map<String, String> flags, List<String> args,
            List<String> json) {
    }

    record Described(String file, List<Problem> problems, List<Instruction> instructions) {

        /** Names of the build stages, in order. */
        List<String> stages() {
            return instructions.stream().filter(i -> i.keyword().equals("FROM")).map(Instruction::stage).toList();
        }

        /** The instructions that make up {@code stage}: those of the stages it is built FROM, then its own. */
        List<Instruction> effective(String stage) {
            List<Instruction> own = instructions.stream().filter(i -> i.stage().equals(stage)).toList();
            assertTrue(!own.isEmpty(), "no stage " + stage + " in " + file);
            String base = own.get(0).args().get(0);
            List<Instruction> all = new ArrayList<>(stages().contains(base) ? effective(base) : List.of());
            all.addAll(own);
            return all;
        }

        /** The image a stage finally rests on (its own FROM image, or its parent stage's). */
        String baseImage(String stage) {
            String from = instructions.stream().filter(i -> i.stage().equals(stage) && i.keyword().equals("FROM"))
                    .findFirst().orElseThrow().args().get(0);
            return stages().contains(from) ? baseImage(from) : from;
        }

        List<Instruction> all(String stage, String keyword) {
            return effective(stage).stream().filter(i -> i.keyword().equals(keyword)).toList();
        }

        /** The last {@code keyword} instruction of the stage (the one in force), which must exist. */
        Instruction last(String stage, String keyword) {
            List<Instruction> found = all(stage, keyword);
            assertTrue(!found.isEmpty(), stage + " has no " + keyword);
            return found.get(found.size() - 1);
        }

        /** ENV of the stage (KEY=value form). */
        Map<String, String> env(String stage) {
            Map<String, String> env = new HashMap<>();
            for (Instruction i : all(stage, "ENV")) {
                for (String kv : i.args()) {
                    int eq = kv.indexOf('=');
                    assertTrue(eq > 0, "ENV must use KEY=value: " + i);
                    env.put(kv.substring(0, eq), kv.substring(eq + 1));
                }
            }
            return env;
        }

        /** EXPOSEd ports of the stage. */
        List<Integer> exposed(String stage) {
            return all(stage, "EXPOSE").stream().flatMap(i -> i.args().stream())
                    .map(p -> Integer.parseInt(p.replace("/tcp", ""))).toList();
        }

        /** COPY instructions of the stage's own that take files from the build context (no --from). */
        List<Instruction> contextCopies(String stage) {
            return instructions.stream().filter(i -> i.stage().equals(stage) && i.keyword().equals("COPY")
                    && !i.flags().containsKey("from")).toList();
        }

        /** The destination of the context COPY whose source is {@code source}. */
        String destinationOf(String stage, String source) {
            return contextCopies(stage).stream().filter(i -> i.args().get(0).equals(source)).findFirst()
                    .map(i -> i.args().get(i.args().size() - 1)).orElseThrow();
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private Dockerfiles() {
    }

    static List<Described> describe(Path... files) {
        Path script = Deploy.LINT.resolve("lint.js");
        assertTrue(Files.isDirectory(Deploy.LINT.resolve("node_modules/dockerfile-utils")),
                "the linters are not installed in " + Deploy.LINT + ": run the tests through ./mvnw (npm ci runs first)");
        List<String> command = new ArrayList<>(List.of("node", script.toString()));
        Stream.of(files).map(Path::toString).forEach(command::add);
        Deploy.Output out = Deploy.run(command, Duration.ofSeconds(60), "to lint Dockerfiles (Node.js 18 or newer)");
        assertEquals(0, out.exitCode(), "lint.js failed: " + out.stderr());
        try {
            return JSON.readValue(out.stdout(), new TypeReference<List<Described>>() { });
        } catch (java.io.IOException e) {
            throw new AssertionError("lint.js printed no JSON: " + out.stdout() + out.stderr(), e);
        }
    }

    /** The deploy Dockerfile, described. */
    static Described deployDockerfile() {
        return describe(Deploy.DOCKERFILE).get(0);
    }
}
