package dev.outpost.config;

import java.util.List;

/**
 * The whole configuration of the purge-api, as loaded and validated by {@link ConfigLoader#loadPurgeApi}.
 *
 * @param server {@code server}: the REST listener
 * @param auth   {@code auth}: bearer tokens accepted by the REST API
 * @param log    {@code log}: the durable purge log
 * @param edges  {@code edges}: the edges to fan purges out to; at least one, ids unique
 * @param fanout {@code fanout}: timeouts, retries and probes of the pushes to the edges
 * @param limits {@code limits}: request size limits of the REST API
 */
public record PurgeApiConfig(PurgeServerConfig server, AuthConfig auth, PurgeLogConfig log,
        List<EdgeTargetConfig> edges, FanoutConfig fanout, PurgeLimitsConfig limits) {

    public PurgeApiConfig {
        edges = List.copyOf(edges);
    }
}
