package dev.outpost.edge;

import dev.outpost.config.ConfigException;
import dev.outpost.config.ConfigLoader;
import dev.outpost.config.ConfigProblem;
import dev.outpost.config.EdgeConfig;
import dev.outpost.edge.server.EdgeRuntime;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code java -jar edge-node.jar --config FILE}: loads and validates the configuration (every
 * problem printed at once, exit 2, no port opened), builds the runtime and starts it. SIGTERM or
 * SIGINT drains in-flight requests up to {@code server.shutdown-timeout}, then exits 0. No logic here.
 */
@Command(name = "edge-node", mixinStandardHelpOptions = true, version = "outpost edge-node 0.1.0",
        description = "Outpost edge node: a caching reverse proxy.")
public final class EdgeNode implements java.util.concurrent.Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(EdgeNode.class);

    @Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE", description = "YAML configuration file")
    Path configFile;

    public static void main(String[] args) {
        int code = new CommandLine(new EdgeNode()).execute(args);
        if (code != 0 || !running) {
            System.exit(code);
        }
    }

    private static volatile boolean running;

    @Override
    public Integer call() throws Exception {
        EdgeConfig config;
        try {
            config = ConfigLoader.loadEdge(configFile);
            List<ConfigProblem> busy = ConfigLoader.checkPortsFree(config);
            if (!busy.isEmpty()) {
                throw new ConfigException(busy);
            }
        } catch (ConfigException e) {
            System.err.println(e.getMessage());
            return 2;
        }
        EdgeRuntime runtime;
        try {
            runtime = new EdgeRuntime(config, Clock.systemUTC());
        } catch (IllegalStateException e) {
            System.err.println("edge-node: could not start: " + e.getMessage());
            return 1;
        }
        try {
            runtime.start().await(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            System.err.println("edge-node: could not start: " + e.getMessage());
            runtime.stop(java.time.Duration.ZERO);
            return 1;
        }
        running = true;
        CountDownLatch stopped = new CountDownLatch(1);
        Runnable drain = () -> {
            LOG.info("shutting down: draining in-flight requests for up to {}", config.server().shutdownTimeout());
            runtime.stop(config.server().shutdownTimeout());
            LOG.info("stopped");
            stopped.countDown();
        };
        Signals.onTerminate(() -> {
            drain.run();
            System.exit(0);
        });
        stopped.await();
        return 0;
    }
}
