package dev.outpost.deploy;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Where the deploy files are, and running the command-line tools the tests check them with. */
final class Deploy {

    /** The repository root (Maven runs the tests in deploy/). */
    static final Path ROOT = Path.of(System.getProperty("user.dir")).toAbsolutePath().getParent();
    static final Path DIR = ROOT.resolve("deploy");
    static final Path DOCKERFILE = DIR.resolve("Dockerfile");
    /** The npm linters, installed by the build (exec-maven-plugin, {@code npm ci}). */
    static final Path LINT = DIR.resolve("target/lint");

    private Deploy() {
    }

    static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What a finished command printed. */
    record Output(int exitCode, String stdout, String stderr) {
    }

    /**
     * Runs a command in the repository root and waits for it; fails the test with a clear message
     * when the tool is not installed ({@code what} says what it is needed for).
     */
    static Output run(List<String> command, Duration timeout, String what) {
        try {
            Path out = Files.createTempFile("deploy-out", ".txt");
            Path err = Files.createTempFile("deploy-err", ".txt");
            Process p;
            try {
                p = new ProcessBuilder(command).directory(ROOT.toFile()).redirectOutput(out.toFile())
                        .redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                        .start();
            } catch (IOException notInstalled) {
                return fail("'" + command.get(0) + "' is needed " + what + " and could not be started ("
                        + notInstalled.getMessage() + "); see deploy/README.md, Checks");
            }
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                fail(String.join(" ", command) + " did not finish within " + timeout);
            }
            Output o = new Output(p.exitValue(), Files.readString(out), Files.readString(err));
            Files.delete(out);
            Files.delete(err);
            return o;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static final Pattern VARIABLE = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?}");

    /**
     * Compose's and the shell's {@code ${NAME:-default}}, with nothing set in the environment: the
     * default, or a failure for a variable without one (the file would need it set to start).
     */
    static String withDefaults(String value) {
        Matcher m = VARIABLE.matcher(value);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            if (m.group(2) == null) {
                fail("${" + m.group(1) + "} has no default in: " + value);
            }
            m.appendReplacement(out, Matcher.quoteReplacement(m.group(2)));
        }
        m.appendTail(out);
        return out.toString();
    }

    /** {@code path} is {@code dir} or inside it. */
    static void assertInside(Path dir, Path path, String what) {
        assertTrue(path.normalize().startsWith(dir.normalize()), what + " " + path + " is not under " + dir);
    }

    /** A copy of {@code env} with OUTPOST_DATA_DIR moved to {@code dataDir}, so the loader's directory check passes here. */
    static Map<String, String> withDataDir(Map<String, String> env, Path dataDir) {
        var copy = new java.util.HashMap<>(env);
        copy.put("OUTPOST_DATA_DIR", dataDir.toString());
        return copy;
    }
}
