package dev.outpost.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A validating view of one YAML mapping at a key path. Reads never throw: a missing, mistyped or
 * invalid value is recorded as a {@link ConfigProblem} (in a list shared by the whole document) and
 * the read returns the given fallback, so the walk goes on and every problem is found in one pass.
 * Every key read is remembered; {@link #finish()} reports the keys of the mapping that nobody read.
 */
final class ConfigReader {

    private final String path;
    private final JsonNode node; // an object node, or null when the section is absent or not a mapping
    private final List<ConfigProblem> problems;
    private final Map<String, String> env;
    private final Set<String> known = new LinkedHashSet<>();

    private ConfigReader(String path, JsonNode node, List<ConfigProblem> problems, Map<String, String> env) {
        this.path = path;
        this.node = node;
        this.problems = problems;
        this.env = env;
    }

    /** The reader of a whole document, which must be a mapping. */
    static ConfigReader root(JsonNode document, List<ConfigProblem> problems, Map<String, String> env) {
        if (document == null || document.isMissingNode() || document.isNull()) {
            problems.add(new ConfigProblem(ConfigProblem.DOCUMENT, "the configuration is empty"));
            return new ConfigReader("", null, problems, env);
        }
        if (!document.isObject()) {
            problems.add(new ConfigProblem(ConfigProblem.DOCUMENT,
                    "expected a mapping of keys, got " + describe(document)));
            return new ConfigReader("", null, problems, env);
        }
        return new ConfigReader("", document, problems, env);
    }

    String path() {
        return path;
    }

    String path(String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    /** Whether the key is present with a non-null value. Marks the key as known. */
    boolean has(String key) {
        return raw(key) != null;
    }

    /** How many problems the whole document has so far (to tell whether a read added any). */
    int problemCount() {
        return problems.size();
    }

    void problem(String key, String message) {
        problems.add(new ConfigProblem(path(key), message));
    }

    /**
     * A nested mapping. When absent (and not required) or invalid, the returned reader is empty: its
     * values fall back to their defaults and it reports no missing keys (the parent already did).
     */
    ConfigReader section(String key, boolean required) {
        JsonNode value = raw(key);
        if (value == null) {
            if (required && node != null) {
                problem(key, "missing required section");
            }
            return new ConfigReader(path(key), null, problems, env);
        }
        if (!value.isObject()) {
            problem(key, "expected a mapping of keys, got " + describe(value));
            return new ConfigReader(path(key), null, problems, env);
        }
        return new ConfigReader(path(key), value, problems, env);
    }

    /** A nested mapping that may be absent; empty when absent or invalid (the latter is reported). */
    Optional<ConfigReader> optionalSection(String key) {
        JsonNode value = raw(key);
        if (value == null) {
            return Optional.empty();
        }
        if (!value.isObject()) {
            problem(key, "expected a mapping of keys, got " + describe(value));
            return Optional.empty();
        }
        return Optional.of(new ConfigReader(path(key), value, problems, env));
    }

    /**
     * A list of mappings, one reader per valid element; elements that are not mappings are reported.
     * A required list must be present and have at least one element.
     */
    List<ConfigReader> sections(String key, boolean required) {
        List<ConfigReader> out = new ArrayList<>();
        for (Element e : elements(key, required)) {
            if (e.node.isObject()) {
                out.add(new ConfigReader(e.path, e.node, problems, env));
            } else {
                problems.add(new ConfigProblem(e.path, "expected a mapping of keys, got " + describe(e.node)));
            }
        }
        return out;
    }

    /** A list of scalars; invalid elements are reported and left out. Absent: the default. */
    <T> List<T> list(String key, List<T> fallback, Converter<T> converter) {
        if (raw(key) == null) {
            return fallback;
        }
        List<T> out = new ArrayList<>();
        for (Element e : elements(key, false)) {
            T value = convert(e.path, e.node, converter);
            if (value != null) {
                out.add(value);
            }
        }
        return out;
    }

    /** An optional scalar: the default when absent, the fallback (the default) when invalid. */
    <T> T get(String key, T fallback, Converter<T> converter) {
        JsonNode value = raw(key);
        if (value == null) {
            return fallback;
        }
        T converted = convert(path(key), value, converter);
        return converted == null ? fallback : converted;
    }

    /** An optional scalar without default: empty when absent or invalid. */
    <T> Optional<T> optional(String key, Converter<T> converter) {
        return Optional.ofNullable(get(key, null, converter));
    }

    /** A required scalar: missing or invalid values are reported and {@code fallback} is returned. */
    <T> T require(String key, T fallback, Converter<T> converter) {
        JsonNode value = raw(key);
        if (value == null) {
            if (node != null) {
                problem(key, "missing required key (" + converter.expected() + ")");
            }
            return fallback;
        }
        T converted = convert(path(key), value, converter);
        return converted == null ? fallback : converted;
    }

    /** Reports every key of this mapping that was never read, suggesting a near known key. */
    void finish() {
        if (node == null) {
            return;
        }
        Iterator<String> names = node.fieldNames();
        while (names.hasNext()) {
            String name = names.next();
            if (!known.contains(name)) {
                String hint = Suggestions.closest(name, known)
                        .map(k -> " (did you mean \"" + k + "\"?)")
                        .orElse(" (known keys: " + String.join(", ", known) + ")");
                problem(name, "unknown key" + hint);
            }
        }
    }

    private JsonNode raw(String key) {
        known.add(key);
        if (node == null) {
            return null;
        }
        JsonNode value = node.get(key);
        return value == null || value.isNull() ? null : value;
    }

    private record Element(String path, JsonNode node) {
    }

    private List<Element> elements(String key, boolean required) {
        JsonNode value = raw(key);
        List<Element> out = new ArrayList<>();
        if (value == null) {
            if (required && node != null) {
                problem(key, "missing required list");
            }
            return out;
        }
        if (!value.isArray()) {
            problem(key, "expected a list, got " + describe(value));
            return out;
        }
        if (required && value.isEmpty()) {
            problem(key, "expected at least one element, got an empty list");
        }
        for (int i = 0; i < value.size(); i++) {
            String elementPath = path(key) + "[" + i + "]";
            if (value.get(i).isNull()) {
                problems.add(new ConfigProblem(elementPath, "empty list element"));
            } else {
                out.add(new Element(elementPath, value.get(i)));
            }
        }
        return out;
    }

    /** Substitutes variables and converts; on failure records the problem and returns null. */
    private <T> T convert(String at, JsonNode value, Converter<T> converter) {
        if (value.isContainerNode()) {
            problems.add(new ConfigProblem(at, "expected " + converter.expected() + ", got " + describe(value)));
            return null;
        }
        JsonNode scalar = value;
        if (value.isTextual()) {
            try {
                scalar = TextNode.valueOf(EnvSubstitution.substitute(value.asText(), env));
            } catch (IllegalArgumentException e) {
                problems.add(new ConfigProblem(at, e.getMessage()));
                return null;
            }
        }
        try {
            return converter.convert().apply(scalar);
        } catch (Converter.Rejected e) {
            problems.add(new ConfigProblem(at, e.getMessage()));
            return null;
        } catch (Converter.BadValue e) {
            String detail = e.getMessage() == null ? "" : " (" + e.getMessage() + ")";
            problems.add(new ConfigProblem(at, "expected " + converter.expected() + ", got " + describe(scalar)
                    + detail));
            return null;
        }
    }

    /** A short rendering of a node for "got ..." messages. */
    static String describe(JsonNode value) {
        if (value.isObject()) {
            return "a mapping";
        }
        if (value.isArray()) {
            return "a list";
        }
        if (value.isTextual()) {
            String text = value.asText();
            if (text.length() > 60) {
                text = text.substring(0, 57) + "...";
            }
            return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
        }
        return value.asText();
    }
}
