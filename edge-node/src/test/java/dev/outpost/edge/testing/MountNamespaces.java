package dev.outpost.edge.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real, small filesystem for one edge process: the process runs in its own mount namespace
 * ({@code unshare -m}), where a tmpfs of a chosen size is mounted before the edge starts; the mount lives
 * and dies with the process. Needs {@code unshare} and mount rights (root, or unprivileged user
 * namespaces); elsewhere the calling test is skipped and says why.
 */
public final class MountNamespaces {

    private MountNamespaces() {
    }

    /** {@code unshare -m} as root, {@code unshare -rm} otherwise; skips the test when neither can mount. */
    public static List<String> unshareCommand() throws Exception {
        for (List<String> candidate : List.of(List.of("unshare", "-m"), List.of("unshare", "-r", "-m"))) {
            List<String> probe = new ArrayList<>(candidate);
            probe.addAll(List.of("sh", "-c", "mount -t tmpfs -o size=1m probe /mnt 2>/dev/null || "
                    + "mount -t tmpfs -o size=1m probe \"$TMPDIR\""));
            try {
                Process p = new ProcessBuilder(probe).redirectErrorStream(true).start();
                if (p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0) {
                    return candidate;
                }
                p.destroyForcibly();
            } catch (IOException noUnshare) {
                break;
            }
        }
        assumeTrue(false, "cannot mount a small tmpfs here (needs unshare with root or user namespaces)");
        return List.of();
    }

    /**
     * Starts an edge with {@code config} in a mount namespace of its own, after {@code setup}: a shell script
     * run there first, with the {@code volume} directory as {@code $0} (to mount a tmpfs on it, fill it...).
     * Skips the calling test when no mount namespace can be made here.
     */
    public static Process startEdge(String setup, Path volume, Path config, Path stdout, Path stderr,
            String... jvmArgs) throws Exception {
        List<String> cmd = new ArrayList<>(unshareCommand());
        cmd.addAll(List.of("sh", "-c", setup + " && exec \"$@\"", volume.toString()));
        cmd.addAll(EdgeProcesses.command(config, jvmArgs));
        return new ProcessBuilder(cmd).redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
    }

    /** Whether {@code nsenter} can enter the mount namespace of process {@code pid}. */
    public static boolean canEnter(long pid) throws InterruptedException {
        try {
            return insideOf(pid, "true").exitCode() == 0;
        } catch (IOException e) {
            return false;
        }
    }

    /** Runs {@code command} in the mount namespace of process {@code pid} (at most 10 s). */
    public static Result insideOf(long pid, String... command) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("nsenter", "-t", Long.toString(pid), "-m"));
        cmd.addAll(List.of(command));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return new Result(-1, "timed out: " + cmd);
        }
        return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    /** A finished command: its exit code and what it wrote (stdout and stderr together). */
    public record Result(int exitCode, String output) {
    }
}
