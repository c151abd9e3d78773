package dev.outpost.purge.fanout;

/**
 * What one request to an edge's admin port came to, classified for the fan-out (docs/purge-protocol.md):
 * {@link Kind#APPLIED} for a 2xx, {@link Kind#RETRYABLE} for 5xx, 408, 429 and I/O failures (refused,
 * reset, timed out), {@link Kind#PERMANENT} for every other status (a 4xx the edge will answer again).
 *
 * @param kind        the class
 * @param status      the HTTP status, 0 when there was no answer
 * @param lastApplied the edge's {@code lastApplied} from a 2xx body, -1 when absent
 * @param error       what went wrong, for logs and {@code lastError}; null when applied
 */
public record EdgeAnswer(Kind kind, int status, long lastApplied, String error) {

    public enum Kind {
        APPLIED, RETRYABLE, PERMANENT
    }

    /** The class of an HTTP status. */
    public static Kind classify(int status) {
        if (status >= 200 && status < 300) {
            return Kind.APPLIED;
        }
        if (status >= 500 || status == 408 || status == 429) {
            return Kind.RETRYABLE;
        }
        return Kind.PERMANENT;
    }

    static EdgeAnswer noAnswer(Throwable cause) {
        String message = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        return new EdgeAnswer(Kind.RETRYABLE, 0, -1, message);
    }

    /** True when the edge refused our token (the edge is reachable but every request will fail the same way). */
    public boolean refusedCredentials() {
        return status == 401 || status == 403;
    }
}
