package dev.outpost.purge.api;

import io.vertx.ext.web.handler.HttpException;
import io.vertx.json.schema.OutputUnit;
import io.vertx.openapi.validation.SchemaValidationException;
import io.vertx.openapi.validation.ValidatorException;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns vertx-openapi's validation failures into {@code {"error", "field"}}: the field as a path into the body
 * ({@code values[2]}, {@code type}) or the parameter's name ({@code limit}), and the validator's reason.
 */
final class ContractErrors {

    /** A 400 answer: what is wrong and where. */
    record Problem(String field, String message) {
    }

    private static final Pattern PARAMETER = Pattern.compile("(?:query|path|header|cookie) parameter ([^ .]+)");
    private static final Pattern PROPERTY = Pattern.compile("[Pp]ropert(?:y|ies) \"?([A-Za-z0-9_-]+)\"?");

    private ContractErrors() {
    }

    static Problem describe(Throwable failure) {
        Throwable cause = failure instanceof HttpException && failure.getCause() != null ? failure.getCause() : failure;
        if (cause instanceof SchemaValidationException s && s.getOutputUnit() != null) {
            String field = fieldOf(s.getMessage(), s.getOutputUnit());
            return new Problem(field, field + ": " + reason(s.getOutputUnit()));
        }
        if (cause instanceof ValidatorException v) {
            Matcher m = PARAMETER.matcher(v.getMessage());
            String field = m.find() ? m.group(1) : "body";
            return new Problem(field, field + ": " + v.getMessage());
        }
        String message = cause.getMessage() == null ? cause.toString() : cause.getMessage();
        return new Problem(null, message);
    }

    private static String fieldOf(String message, OutputUnit unit) {
        Matcher parameter = PARAMETER.matcher(message);
        if (parameter.find()) {
            return parameter.group(1);
        }
        OutputUnit relevant = mostRelevant(unit);
        String location = relevant.getInstanceLocation() == null ? "" : relevant.getInstanceLocation();
        String field = pointerToField(location);
        if (!field.isEmpty()) {
            return field;
        }
        Matcher property = PROPERTY.matcher(String.valueOf(relevant.getError()));
        return property.find() ? property.group(1) : "body";
    }

    private static String reason(OutputUnit unit) {
        return String.valueOf(mostRelevant(unit).getError());
    }

    /**
     * The error at the deepest instance location ({@code values[0]} is a wrong type, rather than the follow-up
     * complaint about the object holding it), and among those one that says what is wrong (an {@code enum} or
     * {@code type} failure) rather than that a property "does not match" its schema.
     */
    private static OutputUnit mostRelevant(OutputUnit unit) {
        List<OutputUnit> errors = unit.getErrors();
        if (errors == null || errors.isEmpty()) {
            return unit;
        }
        OutputUnit best = errors.get(0);
        for (OutputUnit e : errors) {
            int d = depth(e) - depth(best);
            if (d > 0 || d == 0 && generic(best) && !generic(e)) {
                best = e;
            }
        }
        return best;
    }

    private static boolean generic(OutputUnit unit) {
        return String.valueOf(unit.getError()).contains("does not match");
    }

    private static int depth(OutputUnit unit) {
        return pointerToField(String.valueOf(unit.getInstanceLocation())).length();
    }

    /** {@code #/values/2} or {@code /values/2} → {@code values[2]}; {@code /a/b} → {@code a.b}; the root → empty. */
    static String pointerToField(String pointer) {
        StringBuilder out = new StringBuilder();
        for (String part : pointer.split("/")) {
            if (part.isEmpty() || part.equals("#")) {
                continue;
            }
            String token = part.replace("~1", "/").replace("~0", "~");
            if (token.chars().allMatch(Character::isDigit)) {
                out.append('[').append(token).append(']');
            } else {
                out.append(out.length() == 0 ? "" : ".").append(token);
            }
        }
        return out.toString();
    }
}
