package dev.outpost.purge;

import java.util.List;
import java.util.Objects;

/**
 * One validated purge request, before the log gives it a sequence ({@link PurgeRequests} builds it).
 *
 * @param type   the verb
 * @param values absolute URLs (url), absolute URL prefixes (prefix), tag names (tag); empty for all
 * @param host   narrows tag and all to one host; for url and prefix it equals every value's host; null = none
 * @param soft   mark stale instead of removing
 */
public record PurgeCommand(PurgeType type, List<String> values, String host, boolean soft) {

    public PurgeCommand {
        Objects.requireNonNull(type, "type");
        values = List.copyOf(values);
    }
}
