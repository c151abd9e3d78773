package dev.outpost.edge.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConditionalTest {

    private static final Instant T = Instant.parse("2025-03-01T12:00:00Z");
    private static final String LM = HttpDate.format(T.minusSeconds(3600));
    private static final String DATE = HttpDate.format(T);

    // ---- RFC 9110 §8.8.3.2 comparison table ----

    @ParameterizedTest(name = "{0} vs {1}: strong={2} weak={3}")
    @CsvSource(delimiter = '|', value = {
            "W/\"1\" | W/\"1\" | false | true",
            "W/\"1\" | W/\"2\" | false | false",
            "W/\"1\" | \"1\"   | false | true",
            "\"1\"   | \"1\"   | true  | true"})
    void rfc9110_8_8_3_2_comparisonTable(String a, String b, boolean strong, boolean weak) {
        assertEquals(strong, Conditional.strongMatch(a, b));
        assertEquals(weak, Conditional.weakMatch(a, b));
        assertEquals(strong, Conditional.strongMatch(b, a));
        assertEquals(weak, Conditional.weakMatch(b, a));
    }

    @Test
    void rfc9110_8_8_3_invalidEntityTagsNeverMatch() {
        assertFalse(Conditional.weakMatch("abc", "abc"));
        assertFalse(Conditional.strongMatch("\"a\"b\"", "\"a\"b\""));
        assertFalse(Conditional.weakMatch(null, "\"a\""));
        assertFalse(Conditional.weakMatch("w/\"a\"", "\"a\""), "W/ is case-sensitive");
        assertTrue(Conditional.strongMatch(" \"a\" ", "\"a\""));
        assertTrue(Conditional.strongMatch("\"\"", "\"\""));
        assertFalse(Conditional.strongMatch("\"a\"", "\"A\""));
    }

    // ---- §4.3.2 answering conditional requests ----

    @Test
    void rfc9110_13_1_2_ifNoneMatchListUsesWeakComparison() {
        HeaderFields stored = HeaderFields.of("ETag", "\"v2\"");
        assertTrue(Conditional.notModified(HeaderFields.of("If-None-Match", "\"v1\", W/\"v2\""), stored));
        assertTrue(Conditional.notModified(HeaderFields.of("If-None-Match", "\"v1\"", "If-None-Match", "\"v2\""),
                stored));
        assertFalse(Conditional.notModified(HeaderFields.of("If-None-Match", "\"v1\", \"v3\""), stored));
        assertTrue(Conditional.notModified(HeaderFields.of("If-None-Match", "\"v2\""),
                HeaderFields.of("ETag", "W/\"v2\"")));
    }

    @Test
    void rfc9110_13_1_2_ifNoneMatchCommaInsideEntityTag() {
        HeaderFields stored = HeaderFields.of("ETag", "\"a,b\"");
        assertTrue(Conditional.notModified(HeaderFields.of("If-None-Match", "\"x\", \"a,b\""), stored));
        assertFalse(Conditional.notModified(HeaderFields.of("If-None-Match", "\"a\", \"b\""), stored));
    }

    @Test
    void rfc9110_13_1_2_ifNoneMatchStarMatchesAnyStoredResponse() {
        assertTrue(Conditional.notModified(HeaderFields.of("If-None-Match", "*"), HeaderFields.of("ETag", "\"x\"")));
        assertTrue(Conditional.notModified(HeaderFields.of("If-None-Match", " * "), HeaderFields.EMPTY));
    }

    @Test
    void rfc9110_13_1_2_ifNoneMatchWithoutStoredEtagIsFalse() {
        assertFalse(Conditional.notModified(HeaderFields.of("If-None-Match", "\"a\""),
                HeaderFields.of("Last-Modified", LM)));
    }

    @Test
    void rfc9110_13_2_2_ifNoneMatchTakesPrecedenceOverIfModifiedSince() {
        HeaderFields stored = HeaderFields.of("ETag", "\"v2\"", "Last-Modified", LM);
        HeaderFields request = HeaderFields.of("If-None-Match", "\"v1\"", "If-Modified-Since", DATE);
        assertFalse(Conditional.notModified(request, stored));
    }

    @Test
    void rfc9110_13_1_3_ifModifiedSince() {
        HeaderFields stored = HeaderFields.of("Last-Modified", LM);
        assertTrue(Conditional.notModified(HeaderFields.of("If-Modified-Since", LM), stored));
        assertTrue(Conditional.notModified(HeaderFields.of("If-Modified-Since", DATE), stored));
        assertFalse(Conditional.notModified(HeaderFields.of("If-Modified-Since",
                HttpDate.format(T.minusSeconds(7200))), stored));
        assertTrue(Conditional.notModified(HeaderFields.of("If-Modified-Since", "Sat, 01 Mar 2025 11:00:00 GMT"),
                stored), "same instant");
    }

    @Test
    void rfc9111_4_3_2_ifModifiedSinceFallsBackToDate() {
        HeaderFields stored = HeaderFields.of("Date", LM);
        assertTrue(Conditional.notModified(HeaderFields.of("If-Modified-Since", DATE), stored));
        assertFalse(Conditional.notModified(HeaderFields.of("If-Modified-Since", DATE), HeaderFields.EMPTY));
    }

    @Test
    void rfc9110_13_1_3_invalidIfModifiedSinceIsIgnored() {
        HeaderFields stored = HeaderFields.of("Last-Modified", LM);
        assertFalse(Conditional.notModified(HeaderFields.of("If-Modified-Since", "yesterday"), stored));
        assertFalse(Conditional.notModified(HeaderFields.of("If-Modified-Since", "Sat, 01 Mar 2025 12:00:00 GMT"),
                HeaderFields.of("Last-Modified", "bogus")));
        assertFalse(Conditional.notModified(HeaderFields.EMPTY, stored));
    }

    // ---- §4.3.1 validation requests ----

    @Test
    void rfc9111_4_3_1_validatorsForStoredResponse() {
        HeaderFields v = Conditional.validatorsFor(HeaderFields.of("ETag", "W/\"x\"", "Last-Modified", LM));
        assertEquals("W/\"x\"", v.first("If-None-Match"));
        assertEquals(LM, v.first("If-Modified-Since"));
        assertEquals(2, v.size());
        assertEquals(0, Conditional.validatorsFor(HeaderFields.of("Content-Type", "text/plain")).size());
        assertNull(Conditional.validatorsFor(HeaderFields.of("ETag", "unquoted")).first("If-None-Match"));
    }

    @Test
    void rfc9111_4_3_1_hasValidator() {
        assertTrue(Conditional.hasValidator(HeaderFields.of("ETag", "\"x\"")));
        assertTrue(Conditional.hasValidator(HeaderFields.of("Last-Modified", LM)));
        assertFalse(Conditional.hasValidator(HeaderFields.of("Date", DATE)));
        assertFalse(Conditional.hasValidator(HeaderFields.of("Last-Modified", "garbage")));
    }

    // ---- §4.3.4 freshening ----

    @Test
    void rfc9111_3_2_freshenReplacesFieldsButKeepsContentLength() {
        HeaderFields stored = HeaderFields.of("Content-Type", "text/html", "Content-Length", "1234",
                "Cache-Control", "max-age=10", "ETag", "\"a\"", "X-Old", "1", "Content-Encoding", "gzip");
        HeaderFields update = HeaderFields.of("Cache-Control", "max-age=600", "Content-Length", "0",
                "Date", DATE, "Content-Encoding", "br", "Connection", "X-Hop", "X-Hop", "y", "Keep-Alive", "1",
                "Content-Range", "bytes */1234", "Transfer-Encoding", "chunked");
        HeaderFields f = Conditional.freshen(stored, update);
        assertEquals("1234", f.first("Content-Length"));
        assertEquals(1, f.all("Content-Length").size());
        assertEquals("max-age=600", f.first("Cache-Control"));
        assertEquals(1, f.all("Cache-Control").size());
        assertEquals(DATE, f.first("Date"));
        assertEquals("text/html", f.first("Content-Type"));
        assertEquals("1", f.first("X-Old"));
        assertEquals("gzip", f.first("Content-Encoding"));
        assertNull(f.first("Connection"));
        assertNull(f.first("X-Hop"));
        assertNull(f.first("Keep-Alive"));
        assertNull(f.first("Content-Range"));
        assertNull(f.first("Transfer-Encoding"));
    }

    @Test
    void rfc9111_3_2_freshenReplacesAllLinesOfAField() {
        HeaderFields stored = HeaderFields.of("Link", "<a>", "Link", "<b>");
        HeaderFields f = Conditional.freshen(stored, HeaderFields.of("link", "<c>", "Link", "<d>"));
        assertEquals(java.util.List.of("<c>", "<d>"), f.all("Link"));
    }

    @Test
    void rfc9111_4_3_4_notModifiedAppliesWithStrongEtag() {
        HeaderFields stored = HeaderFields.of("ETag", "\"a\"", "Last-Modified", LM);
        assertTrue(Conditional.notModifiedApplies(stored, HeaderFields.of("ETag", "\"a\"")));
        assertFalse(Conditional.notModifiedApplies(stored, HeaderFields.of("ETag", "\"b\"")));
        assertFalse(Conditional.notModifiedApplies(HeaderFields.of("ETag", "W/\"a\""),
                HeaderFields.of("ETag", "\"a\"")), "strong validator needs strong match");
        assertFalse(Conditional.notModifiedApplies(HeaderFields.of("Last-Modified", LM),
                HeaderFields.of("ETag", "\"a\"")));
    }

    @Test
    void rfc9111_4_3_4_notModifiedAppliesWithWeakEtag() {
        assertTrue(Conditional.notModifiedApplies(HeaderFields.of("ETag", "W/\"a\""),
                HeaderFields.of("ETag", "W/\"a\"")));
        assertFalse(Conditional.notModifiedApplies(HeaderFields.of("ETag", "W/\"a\""),
                HeaderFields.of("ETag", "W/\"b\"")));
        assertFalse(Conditional.notModifiedApplies(HeaderFields.of("ETag", "W/\"a\"", "Last-Modified", LM),
                HeaderFields.of("ETag", "W/\"a\"", "Last-Modified", DATE)));
    }

    @Test
    void rfc9111_4_3_4_notModifiedAppliesWithLastModified() {
        HeaderFields stored = HeaderFields.of("Last-Modified", LM);
        assertTrue(Conditional.notModifiedApplies(stored, HeaderFields.of("Last-Modified", LM)));
        assertFalse(Conditional.notModifiedApplies(stored, HeaderFields.of("Last-Modified", DATE)));
        assertFalse(Conditional.notModifiedApplies(HeaderFields.EMPTY, HeaderFields.of("Last-Modified", LM)));
    }

    @Test
    void rfc9111_4_3_4_notModifiedWithoutValidatorsAppliesOnlyToResponseWithoutValidators() {
        assertTrue(Conditional.notModifiedApplies(HeaderFields.of("Date", DATE), HeaderFields.of("Date", DATE)));
        assertFalse(Conditional.notModifiedApplies(HeaderFields.of("ETag", "\"a\""), HeaderFields.EMPTY));
        assertFalse(Conditional.notModifiedApplies(HeaderFields.of("ETag", "W/\"a\""), HeaderFields.EMPTY));
        assertFalse(Conditional.notModifiedApplies(HeaderFields.of("Last-Modified", LM), HeaderFields.EMPTY));
    }

    // ---- §4.3.5 HEAD ----

    @Test
    void rfc9111_4_3_5_headResponseMatches() {
        HeaderFields stored = HeaderFields.of("Content-Length", "10", "ETag", "\"a\"", "Last-Modified", LM);
        assertTrue(Conditional.headResponseMatches(stored, HeaderFields.of("Content-Length", "10", "ETag", "\"a\"",
                "Last-Modified", LM)));
        assertTrue(Conditional.headResponseMatches(stored, HeaderFields.EMPTY));
        assertFalse(Conditional.headResponseMatches(stored, HeaderFields.of("Content-Length", "11")));
        assertFalse(Conditional.headResponseMatches(stored, HeaderFields.of("ETag", "\"b\"")));
        assertFalse(Conditional.headResponseMatches(stored, HeaderFields.of("ETag", "W/\"a\"")));
        assertFalse(Conditional.headResponseMatches(stored, HeaderFields.of("Last-Modified", DATE)));
        assertTrue(Conditional.headResponseMatches(HeaderFields.of("ETag", "\"a\""),
                HeaderFields.of("Last-Modified", DATE)), "fields present on one side only do not differ");
    }

    // ---- RFC 9110 §13.1.5 If-Range ----

    @Test
    void rfc9110_13_1_5_noIfRangeAllowsRange() {
        assertTrue(Conditional.ifRangeAllowsRange(HeaderFields.EMPTY, HeaderFields.of("ETag", "\"a\"")));
    }

    @Test
    void rfc9110_13_1_5_ifRangeEntityTagNeedsStrongMatch() {
        HeaderFields stored = HeaderFields.of("ETag", "\"a\"");
        assertTrue(Conditional.ifRangeAllowsRange(HeaderFields.of("If-Range", "\"a\""), stored));
        assertFalse(Conditional.ifRangeAllowsRange(HeaderFields.of("If-Range", "\"b\""), stored));
        assertFalse(Conditional.ifRangeAllowsRange(HeaderFields.of("If-Range", "W/\"a\""), stored));
        assertFalse(Conditional.ifRangeAllowsRange(HeaderFields.of("If-Range", "\"a\""),
                HeaderFields.of("ETag", "W/\"a\"")));
        assertFalse(Conditional.ifRangeAllowsRange(HeaderFields.of("If-Range", "\"a\""), HeaderFields.EMPTY));
    }

    @Test
    void rfc9110_13_1_5_ifRangeDateNeedsStrongLastModified() {
        HeaderFields stored = HeaderFields.of("Last-Modified", LM, "Date", DATE);
        assertTrue(Conditional.ifRangeAllowsRange(HeaderFields.of("If-Range", LM), stored));
        assertFalse(Conditional.ifRangeAllowsRange(HeaderFields.of("If-Range", DATE), stored), "must be equal");
        // Last-Modified less than one second before Date is weak (§8.8.2.2)
        HeaderFields weak = HeaderFields.of("Last-Modified", DATE, "Date", DATE);
        assertFalse(Conditional.ifRangeAllowsRange(HeaderFields.of("If-Range", DATE), weak));
        assertFalse(Conditional.ifRangeAllowsRange(HeaderFields.of("If-Range", LM),
                HeaderFields.of("Last-Modified", LM)), "no Date: cannot tell it is strong");
        assertFalse(Conditional.ifRangeAllowsRange(HeaderFields.of("If-Range", "not a date"), stored));
    }
}
