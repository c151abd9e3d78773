package dev.outpost.purge;

import dev.outpost.config.ConfigException;
import dev.outpost.config.ConfigLoader;
import dev.outpost.config.ConfigProblem;
import dev.outpost.config.PurgeApiConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code java -jar purge-api.jar --config FILE}: loads and validates the configuration (every problem printed
 * at once, exit 2, no port opened; also when {@code server.port} is taken), opens the log and starts the
 * runtime (exit 1 when that fails). SIGTERM or SIGINT stops it cleanly (the log is synced and closed; what the
 * fan-out still owes resumes at the next start), then exits 0. No logic here.
 */
@Command(name = "purge-api", mixinStandardHelpOptions = true, version = "outpost purge-api 0.1.0",
        description = "Outpost purge-api: a durable purge log fanned out to every edge.")
public final class PurgeApi implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(PurgeApi.class);
    private static final Duration GRACE = Duration.ofSeconds(5);

    @Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE", description = "YAML configuration file")
    Path configFile;

    private static volatile boolean running;

    public static void main(String[] args) {
        int code = new CommandLine(new PurgeApi()).execute(args);
        if (code != 0 || !running) {
            System.exit(code);
        }
    }

    @Override
    public Integer call() throws Exception {
        PurgeApiConfig config;
        try {
            config = ConfigLoader.loadPurgeApi(configFile);
            List<ConfigProblem> busy = ConfigLoader.checkPortsFree(config);
            if (!busy.isEmpty()) {
                throw new ConfigException(busy);
            }
        } catch (ConfigException e) {
            System.err.println(e.getMessage());
            return 2;
        }
        PurgeApiRuntime runtime;
        try {
            runtime = new PurgeApiRuntime(config, Clock.systemUTC());
        } catch (IOException e) {
            System.err.println("purge-api: could not start: " + e.getMessage());
            return 1;
        }
        try {
            runtime.start().await(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            System.err.println("purge-api: could not start: " + e.getMessage());
            runtime.stop(Duration.ZERO);
            return 1;
        }
        running = true;
        CountDownLatch stopped = new CountDownLatch(1);
        Signals.onTerminate(() -> {
            LOG.info("shutting down");
            runtime.stop(GRACE);
            LOG.info("stopped");
            stopped.countDown();
            System.exit(0);
        });
        stopped.await();
        return 0;
    }
}
