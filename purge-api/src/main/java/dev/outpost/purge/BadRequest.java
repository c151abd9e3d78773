package dev.outpost.purge;

/** A request the REST API refuses with 400; {@link #field()} names what is wrong (e.g. {@code values[2]}). */
public final class BadRequest extends Exception {

    private static final long serialVersionUID = 1L;

    private final String field;

    public BadRequest(String field, String problem) {
        super(field + ": " + problem, null, false, false);
        this.field = field;
    }

    public String field() {
        return field;
    }
}
