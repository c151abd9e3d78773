package dev.outpost.config;

import java.nio.file.Path;

/**
 * {@code log}: the durable purge log.
 *
 * @param path      {@code log.path}, required; absolute and normalized; an existing writable directory or one that
 *                  can be created
 * @param retention {@code log.retention}
 */
public record PurgeLogConfig(Path path, RetentionConfig retention) {
}
