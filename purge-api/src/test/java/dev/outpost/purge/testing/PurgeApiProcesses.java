package dev.outpost.purge.testing;

import dev.outpost.config.testing.FreePorts;
import dev.outpost.purge.PurgeApi;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The purge-api as a separate JVM, the way operators run it: {@code java -cp <test classpath> PurgeApi --config
 * FILE}, output to files (never read while it runs, so it never blocks on a pipe).
 */
public final class PurgeApiProcesses {

    private PurgeApiProcesses() {
    }

    public static int freePort() throws IOException {
        return FreePorts.loopback(); // below the ephemeral range: see FreePorts
    }

    /** Starts it with {@code config}; stdout and stderr go to {@code dir/name.out} and {@code dir/name.err}. */
    public static Process launch(Path config, Path dir, String name) throws IOException {
        // its temporary files (Vert.x's file cache) in the test's folder: a process killed with SIGKILL cannot
        // delete them itself
        Path tmp = Files.createDirectories(dir.resolve(name + "-tmp"));
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Djava.io.tmpdir=" + tmp, "-cp", System.getProperty("java.class.path"), PurgeApi.class.getName(), "--config", config.toString());
        return new ProcessBuilder(cmd).redirectOutput(dir.resolve(name + ".out").toFile())
                .redirectError(dir.resolve(name + ".err").toFile()).start();
    }

    public static String stderr(Path dir, String name) throws IOException {
        Path f = dir.resolve(name + ".err");
        return Files.exists(f) ? Files.readString(f) : "";
    }

    /** Polls {@code /readyz} until 200 (at most 30 s); fails with its stderr if it exits. */
    public static void awaitReady(Process p, int port, Path dir, String name) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new AssertionError(name + " exited early: " + stderr(dir, name));
            }
            try {
                if (Http.get("http://127.0.0.1:" + port + "/readyz", null).status() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new AssertionError(name + " not ready in time: " + stderr(dir, name));
    }
}
