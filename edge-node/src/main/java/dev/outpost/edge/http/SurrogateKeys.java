package dev.outpost.edge.http;

import java.util.LinkedHashSet;
import java.util.Set;
import org.greenbytes.http.sfv.ListElement;
import org.greenbytes.http.sfv.Parser;
import org.greenbytes.http.sfv.StringItem;

/**
 * The purge tags of a stored response (ARCHITECTURE §4): names from {@code Surrogate-Key}
 * (space-separated), {@code Cache-Tag} (comma-separated) and {@code Cache-Groups} (RFC 9875: an
 * RFC 8941 List of Strings; a field that does not parse is ignored as a whole, members that are not Strings are skipped). Tags are
 * case-sensitive.
 */
public final class SurrogateKeys {

    private SurrogateKeys() {
    }

    public static Set<String> of(Fields headers) {
        Set<String> tags = new LinkedHashSet<>();
        for (String line : headers.all("Surrogate-Key")) {
            for (String t : line.trim().split("[ \t]+")) {
                if (!t.isEmpty()) {
                    tags.add(t);
                }
            }
        }
        for (String line : headers.all("Cache-Tag")) {
            for (String t : line.split(",")) {
                String s = t.trim();
                if (!s.isEmpty()) {
                    tags.add(s);
                }
            }
        }
        var groups = headers.all("Cache-Groups");
        if (!groups.isEmpty()) {
            try {
                for (ListElement<?> e : new Parser(groups).parseList().get()) {
                    if (e instanceof StringItem s) {
                        tags.add(s.get()); // members that are not Strings are skipped
                    }
                }
            } catch (RuntimeException invalid) {
                // RFC 9875 §2: an invalid Cache-Groups field is ignored
            }
        }
        return tags;
    }
}
