package dev.outpost.config;

import java.time.Duration;

/**
 * {@code cache.heuristic}: heuristic freshness (RFC 9111 §4.2.2) for responses with Last-Modified and no
 * explicit lifetime.
 *
 * @param fraction {@code fraction} of the time since Last-Modified, default 0.1, 0-1
 * @param max      {@code max}, upper bound of the heuristic lifetime, default 1d (0 disables heuristics)
 */
public record HeuristicConfig(double fraction, Duration max) {
}
