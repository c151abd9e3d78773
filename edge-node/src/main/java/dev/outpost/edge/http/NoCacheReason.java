package dev.outpost.edge.http;

/**
 * Why a request bypasses the cache or a response is not stored. Label values for metrics and logs
 * come from {@link #label()}, so the label set stays small and fixed.
 */
public enum NoCacheReason {
    METHOD("method"),
    REQUEST_NO_STORE("request-no-store"),
    AUTHORIZATION("authorization"),
    METHOD_OVERRIDE("method-override"),
    RESPONSE_NO_STORE("no-store"),
    PRIVATE("private"),
    MUST_UNDERSTAND_UNKNOWN_STATUS("must-understand-status"),
    STATUS("status"),
    NO_EXPLICIT_FRESHNESS("no-explicit-freshness"),
    SET_COOKIE("set-cookie"),
    VARY_STAR("vary-star"),
    PARTIAL_CONTENT("partial-content"),
    TOO_LARGE("too-large"),
    INCOMPLETE("incomplete");

    private final String label;

    NoCacheReason(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
