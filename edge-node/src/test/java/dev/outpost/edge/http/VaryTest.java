package dev.outpost.edge.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

class VaryTest {

    @Test
    void rfc9111_4_1_fieldNamesLowerCasedDedupedInOrderAcrossLines() {
        HeaderFields h = HeaderFields.of("Vary", "Accept-Encoding, User-Agent", "vary", " accept-encoding ,Cookie,,");
        assertEquals(List.of("accept-encoding", "user-agent", "cookie"), Vary.fieldNames(h));
        assertEquals(List.of(), Vary.fieldNames(HeaderFields.EMPTY));
        assertEquals(List.of(), Vary.fieldNames(HeaderFields.of("Vary", "")));
    }

    @Test
    void rfc9111_4_1_starInAnyLineIsStar() {
        HeaderFields h = HeaderFields.of("Vary", "Accept", "Vary", "*");
        assertEquals(List.of("*"), Vary.fieldNames(h));
        assertTrue(Vary.isStar(Vary.fieldNames(h)));
        assertFalse(Vary.isStar(Vary.fieldNames(HeaderFields.of("Vary", "Accept"))));
    }

    @Test
    void rfc9110_5_3_normalisationCombinesLinesAndTrimsWhitespace() {
        HeaderFields a = HeaderFields.of("Accept-Encoding", "gzip ,  br", "Accept-Encoding", "deflate");
        HeaderFields b = HeaderFields.of("Accept-Encoding", "gzip,br,deflate");
        assertEquals("gzip,br,deflate", Vary.normalisedValue(a, "accept-encoding"));
        assertEquals(Vary.normalisedValue(a, "Accept-Encoding"), Vary.normalisedValue(b, "Accept-Encoding"));
        HeaderFields c = HeaderFields.of("X-Thing", "  a \t  b  ");
        assertEquals("a b", Vary.normalisedValue(c, "X-Thing"));
    }

    @Test
    void rfc9111_4_1_caseInsensitiveTokenListsAreLowerCased() {
        assertEquals("gzip,br", Vary.normalisedValue(HeaderFields.of("Accept-Encoding", "GZIP, Br"),
                "Accept-Encoding"));
        assertEquals("en-us,fr;q=0.5", Vary.normalisedValue(HeaderFields.of("Accept-Language", "en-US, fr;q=0.5"),
                "accept-language"));
        assertEquals("text/html", Vary.normalisedValue(HeaderFields.of("Accept", "Text/HTML"), "Accept"));
        assertEquals("Alice", Vary.normalisedValue(HeaderFields.of("X-User", "Alice"), "x-user"),
                "other fields keep their case");
    }

    @Test
    void rfc9111_4_1_absentDiffersFromEmpty() {
        assertNull(Vary.normalisedValue(HeaderFields.EMPTY, "Accept-Encoding"));
        assertEquals("", Vary.normalisedValue(HeaderFields.of("Accept-Encoding", ""), "Accept-Encoding"));
        List<String> names = List.of("accept-encoding");
        assertNotEquals(Vary.variantKey(HeaderFields.EMPTY, names),
                Vary.variantKey(HeaderFields.of("Accept-Encoding", ""), names));
    }

    @Test
    void rfc9111_4_1_variantKeyEqualExactlyWhenFieldsMatch() {
        List<String> names = List.of("accept-encoding", "accept-language");
        String k1 = Vary.variantKey(HeaderFields.of("Accept-Encoding", "gzip, br", "Accept-Language", "en"), names);
        String k2 = Vary.variantKey(HeaderFields.of("accept-language", "EN", "ACCEPT-ENCODING", "GZIP,br"), names);
        String k3 = Vary.variantKey(HeaderFields.of("Accept-Encoding", "br, gzip", "Accept-Language", "en"), names);
        assertEquals(k1, k2);
        assertNotEquals(k1, k3, "member order is significant");
        assertEquals(k1, Vary.variantKey(HeaderFields.of("Accept-Encoding", "gzip, br", "Accept-Language", "en",
                "Cookie", "x=1"), names), "fields not listed do not matter");
    }

    @Test
    void rfc9111_4_1_variantKeyIsUnambiguous() {
        List<String> two = List.of("x-a", "x-b");
        // a value that looks like a separator plus the next field must not collide
        String tricky = Vary.variantKey(HeaderFields.of("X-A", "1\nx-b:=2"), two);
        String plain = Vary.variantKey(HeaderFields.of("X-A", "1", "X-B", "2"), two);
        assertNotEquals(tricky, plain);
        assertNotEquals(Vary.variantKey(HeaderFields.of("X-A", "-"), List.of("x-a")),
                Vary.variantKey(HeaderFields.EMPTY, List.of("x-a")));
        assertNotEquals(Vary.variantKey(HeaderFields.of("X-A", "a\\"), two),
                Vary.variantKey(HeaderFields.of("X-A", "a\\n"), two));
    }

    @Test
    void rfc9111_4_1_variantKeyEmptyWithoutVaryAndStable() {
        assertEquals("", Vary.variantKey(HeaderFields.of("Accept", "x"), List.of()));
        HeaderFields h = HeaderFields.of("Accept-Encoding", "gzip");
        assertEquals(Vary.variantKey(h, List.of("accept-encoding")), Vary.variantKey(h, List.of("accept-encoding")));
        assertEquals("accept-encoding:=gzip", Vary.variantKey(h, List.of("Accept-Encoding")));
        assertEquals("accept-encoding:-", Vary.variantKey(HeaderFields.EMPTY, List.of("accept-encoding")));
    }
}
