package dev.outpost.edge.http;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * An immutable, ordered list of header fields: what a stored response carries and what the
 * pure rules produce. Small (tens of fields), so a flat array beats a map.
 */
public final class HeaderFields implements Fields {

    public static final HeaderFields EMPTY = new HeaderFields(new String[0]);

    /** name0, value0, name1, value1, ... */
    private final String[] nameValues;

    private HeaderFields(String[] nameValues) {
        this.nameValues = nameValues;
    }

    /** {@code of("Cache-Control", "max-age=60", "ETag", "\"a\"")}. */
    public static HeaderFields of(String... nameValues) {
        if (nameValues.length % 2 != 0) {
            throw new IllegalArgumentException("names and values must come in pairs");
        }
        return new HeaderFields(nameValues.clone());
    }

    /** A copy of any other view. */
    public static HeaderFields copyOf(Fields fields) {
        if (fields instanceof HeaderFields h) {
            return h;
        }
        Builder b = builder();
        fields.forEach(b::add);
        return b.build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        forEach(b::add);
        return b;
    }

    @Override
    public List<String> all(String name) {
        List<String> found = null;
        for (int i = 0; i < nameValues.length; i += 2) {
            if (nameValues[i].equalsIgnoreCase(name)) {
                if (found == null) {
                    found = new ArrayList<>(2);
                }
                found.add(nameValues[i + 1]);
            }
        }
        return found == null ? List.of() : Collections.unmodifiableList(found);
    }

    @Override
    public String first(String name) {
        for (int i = 0; i < nameValues.length; i += 2) {
            if (nameValues[i].equalsIgnoreCase(name)) {
                return nameValues[i + 1];
            }
        }
        return null;
    }

    @Override
    public void forEach(BiConsumer<String, String> action) {
        for (int i = 0; i < nameValues.length; i += 2) {
            action.accept(nameValues[i], nameValues[i + 1]);
        }
    }

    public int size() {
        return nameValues.length / 2;
    }

    public String name(int index) {
        return nameValues[index * 2];
    }

    public String value(int index) {
        return nameValues[index * 2 + 1];
    }

    /** A copy with every line of {@code name} replaced by one line (or removed when value is null). */
    public HeaderFields with(String name, String value) {
        Builder b = toBuilder().remove(name);
        if (value != null) {
            b.add(name, value);
        }
        return b.build();
    }

    /** A copy without any of the given names (case-insensitive). */
    public HeaderFields without(Collection<String> names) {
        Builder b = toBuilder();
        for (String n : names) {
            b.remove(n);
        }
        return b.build();
    }

    /** Approximate bytes for size accounting: names, values, ": " and CRLF. */
    public long byteSize() {
        long n = 0;
        for (String s : nameValues) {
            n += s.length() + 2;
        }
        return n;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        forEach((n, v) -> sb.append(n).append(": ").append(v).append('\n'));
        return sb.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof HeaderFields h && java.util.Arrays.equals(nameValues, h.nameValues);
    }

    @Override
    public int hashCode() {
        return java.util.Arrays.hashCode(nameValues);
    }

    /** Mutable builder; not thread-safe. */
    public static final class Builder {
        private final List<String> nv = new ArrayList<>();

        public Builder add(String name, String value) {
            nv.add(name);
            nv.add(value);
            return this;
        }

        public Builder set(String name, String value) {
            remove(name);
            return add(name, value);
        }

        public Builder remove(String name) {
            for (int i = nv.size() - 2; i >= 0; i -= 2) {
                if (nv.get(i).equalsIgnoreCase(name)) {
                    nv.remove(i + 1);
                    nv.remove(i);
                }
            }
            return this;
        }

        public Builder removeAll(Set<String> lowerCaseNames) {
            for (int i = nv.size() - 2; i >= 0; i -= 2) {
                if (lowerCaseNames.contains(nv.get(i).toLowerCase(Locale.ROOT))) {
                    nv.remove(i + 1);
                    nv.remove(i);
                }
            }
            return this;
        }

        public HeaderFields build() {
            return new HeaderFields(nv.toArray(new String[0]));
        }
    }
}
