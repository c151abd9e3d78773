package dev.outpost.config;

import java.util.List;

/**
 * The whole configuration of an edge node, as loaded and validated by {@link ConfigLoader#loadEdge}.
 *
 * @param node         {@code node}: identity of this edge
 * @param server       {@code server}: the client-traffic listener
 * @param admin        {@code admin}: the metrics, health and purge listener
 * @param origins      {@code origins}: at least one route from a Host to an origin; host {@code "*"} is the default
 * @param originClient {@code origin-client}: timeouts and pool size towards origins
 * @param cache        {@code cache}: storage tiers and caching policy
 * @param purge        {@code purge}: where to catch up on missed purges
 * @param accessLog    {@code access-log}: JSON access log
 */
public record EdgeConfig(
        NodeConfig node,
        ServerConfig server,
        AdminConfig admin,
        List<OriginConfig> origins,
        OriginClientConfig originClient,
        CacheConfig cache,
        PurgeConfig purge,
        AccessLogConfig accessLog) {

    public EdgeConfig {
        origins = List.copyOf(origins);
    }
}
