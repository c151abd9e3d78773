package dev.outpost.config;

import java.time.Duration;

/**
 * {@code cache.collapse}: request collapsing on a miss.
 *
 * @param waitTimeout    {@code wait-timeout}, how long a request waits for another's fetch to be stored once the
 *                       origin answered it (before that, as long as the origin client's timeouts allow),
 *                       default 10s, &gt; 0
 * @param uncacheableTtl {@code uncacheable-ttl}, how long a key stays marked uncacheable so requests for it do not
 *                       queue, default 30s (0 = do not remember)
 */
public record CollapseConfig(Duration waitTimeout, Duration uncacheableTtl) {
}
