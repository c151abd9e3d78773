package dev.outpost.purge;

import dev.outpost.config.EdgeTargetConfig;
import dev.outpost.config.PurgeApiConfig;
import dev.outpost.purge.api.RestApi;
import dev.outpost.purge.fanout.FanOut;
import dev.outpost.purge.log.PurgeLog;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import java.io.IOException;
import java.time.InstantSource;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The object graph of one purge-api, built from its configuration: the log (opened here, so a log that cannot
 * be opened fails the constructor), the fan-out and the REST server. Starts and stops as a unit; used by
 * {@link PurgeApi} and by tests, which start it in-process on an ephemeral port with a settable clock (an {@link InstantSource}). Ready
 * ({@code /readyz} 200) once the log is open, the fan-out has resumed and the listener is bound.
 */
public final class PurgeApiRuntime {

    private static final Logger LOG = LoggerFactory.getLogger(PurgeApiRuntime.class);

    private final PurgeApiConfig config;
    private final Vertx vertx;
    private final PrometheusMeterRegistry registry;
    private final JvmGcMetrics gcMetrics = new JvmGcMetrics();
    private final PurgeLog log;
    private final FanOut fanOut;
    private final RestApi api;
    private final AtomicBoolean ready = new AtomicBoolean();
    private HttpServer server;
    private int port;

    /** @throws IOException when the log cannot be opened (locked by another process, corrupt, other format) */
    public PurgeApiRuntime(PurgeApiConfig config, InstantSource clock) throws IOException {
        this.config = config;
        this.log = PurgeLog.open(config.log().path(), config.log().retention(), clock,
                config.edges().stream().map(EdgeTargetConfig::id).toList());
        this.vertx = Vertx.vertx();
        this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        gcMetrics.bindTo(registry);
        PurgeApiMetrics metrics = new PurgeApiMetrics(registry);
        metrics.logGauges(log::first, log::last);
        this.fanOut = new FanOut(vertx, log, config.edges(), config.fanout(), clock, metrics,
                () -> ThreadLocalRandom.current().nextDouble());
        this.api = new RestApi(vertx, config, log, fanOut, metrics, registry, ready::get);
    }

    /** Resumes the fan-out, binds the port; completes when serving. */
    public Future<PurgeApiRuntime> start() {
        return fanOut.start()
                .compose(v -> api.router())
                .compose(router -> {
                    // HTTP/1.1 only: Vert.x 5.0's h2c upgrade intermittently never finishes a response of a
                    // few KiB to the JDK HttpClient (which asks for h2c by default), e.g. a GET /v1/log page
                    server = vertx.createHttpServer(new HttpServerOptions().setHost(config.server().host())
                            .setPort(config.server().port()).setHttp2ClearTextEnabled(false));
                    return server.requestHandler(router).listen();
                })
                .map(s -> {
                    port = s.actualPort();
                    ready.set(true);
                    LOG.info("purge-api serving on {}:{} for {} edges; log sequences {} to {}", config.server().host(),
                            port, config.edges().size(), log.first(), log.last());
                    return this;
                });
    }

    /**
     * Stops accepting, answers requests in flight (waits with what is known) within {@code grace}, stops the
     * fan-out (what it still owes stays in the log) and closes the log. Blocks (never call it on an event loop).
     */
    public void stop(Duration grace) {
        ready.set(false);
        if (server != null) {
            awaitQuietly(fanOut.stop().compose(v -> server.shutdown(grace.toMillis(), TimeUnit.MILLISECONDS)),
                    grace.plusSeconds(5));
        } else {
            awaitQuietly(fanOut.stop(), Duration.ofSeconds(5));
        }
        awaitQuietly(vertx.close(), Duration.ofSeconds(10));
        log.close();
        gcMetrics.close();
    }

    private static void awaitQuietly(Future<?> f, Duration limit) {
        try {
            f.toCompletionStage().toCompletableFuture().get(limit.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            LOG.warn("shutdown step did not complete cleanly: {}", e.toString());
        }
    }

    public int port() {
        return port;
    }

    public boolean isReady() {
        return ready.get();
    }

    public PurgeLog log() {
        return log;
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }
}
