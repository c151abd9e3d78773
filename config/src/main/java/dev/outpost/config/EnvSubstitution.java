package dev.outpost.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * {@code ${VAR}} substitution in configuration string values. {@code ${VAR:-default}} uses the
 * default when VAR is unset or empty (as in a POSIX shell); {@code $${} is a literal {@code ${}.
 * The default runs to the first {@code }}, so it cannot itself contain {@code }} or nest.
 */
final class EnvSubstitution {

    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private EnvSubstitution() {
    }

    /**
     * @return the text with every reference replaced
     * @throws IllegalArgumentException naming every unset variable, or describing a malformed reference
     */
    static String substitute(String text, Map<String, String> env) {
        if (!text.contains("${")) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length());
        List<String> missing = new ArrayList<>();
        int i = 0;
        while (i < text.length()) {
            if (text.startsWith("$${", i)) {
                out.append("${");
                i += 3;
            } else if (text.startsWith("${", i)) {
                int close = text.indexOf('}', i + 2);
                if (close < 0) {
                    throw new IllegalArgumentException(
                            "unterminated \"${\" in \"" + text + "\" (write \"$${\" for a literal \"${\")");
                }
                String body = text.substring(i + 2, close);
                int sep = body.indexOf(":-");
                String name = sep < 0 ? body : body.substring(0, sep);
                if (!NAME.matcher(name).matches()) {
                    throw new IllegalArgumentException("invalid environment variable name \"" + name + "\" in \""
                            + text + "\" (write \"$${\" for a literal \"${\")");
                }
                String value = env.get(name);
                if (sep >= 0 && (value == null || value.isEmpty())) {
                    value = body.substring(sep + 2);
                }
                if (value == null) {
                    missing.add(name);
                } else {
                    out.append(value);
                }
                i = close + 1;
            } else {
                out.append(text.charAt(i++));
            }
        }
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException(missing.size() == 1
                    ? "environment variable " + missing.get(0) + " is not set (write ${" + missing.get(0)
                            + ":-default} to give a default)"
                    : "environment variables " + String.join(", ", missing) + " are not set");
        }
        return out.toString();
    }
}
