package dev.outpost.edge.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CacheControlTest {

    private static CacheControl cc(String... lines) {
        return CacheControl.parse(Arrays.asList(lines));
    }

    @Test
    void rfc9111_5_2_emptyOrAbsentFieldIsEmpty() {
        assertEquals(CacheControl.EMPTY, CacheControl.parse(List.of()));
        assertEquals(CacheControl.EMPTY, cc(""));
        assertEquals(CacheControl.EMPTY, cc(" , ,, "));
        assertEquals(CacheControl.EMPTY, CacheControl.parse(null));
    }

    @Test
    void rfc9111_5_2_2_everyResponseDirective() {
        CacheControl c = cc("max-age=10, s-maxage=20, stale-while-revalidate=30, stale-if-error=40, no-store, "
                + "no-cache, private, public, must-revalidate, proxy-revalidate, must-understand, no-transform, "
                + "immutable");
        assertEquals(10, c.maxAge());
        assertEquals(20, c.sMaxAge());
        assertEquals(30, c.staleWhileRevalidate());
        assertEquals(40, c.staleIfError());
        assertTrue(c.noStore());
        assertTrue(c.noCache());
        assertEquals(Set.of(), c.noCacheFields());
        assertTrue(c.isPrivate());
        assertEquals(Set.of(), c.privateFields());
        assertTrue(c.isPublic());
        assertTrue(c.mustRevalidate());
        assertTrue(c.proxyRevalidate());
        assertTrue(c.mustUnderstand());
        assertTrue(c.noTransform());
        assertTrue(c.immutable());
        assertFalse(c.onlyIfCached());
    }

    @Test
    void rfc9111_5_2_1_everyRequestDirective() {
        CacheControl c = cc("max-age=5", "max-stale=6, min-fresh=7, no-cache, no-store, no-transform, only-if-cached",
                "stale-if-error=8");
        assertEquals(5, c.maxAge());
        assertEquals(6, c.maxStale());
        assertEquals(7, c.minFresh());
        assertEquals(8, c.staleIfError());
        assertTrue(c.noCache());
        assertTrue(c.noStore());
        assertTrue(c.noTransform());
        assertTrue(c.onlyIfCached());
    }

    @Test
    void rfc9111_5_2_absentDeltaDirectivesAreAbsent() {
        CacheControl c = cc("public");
        assertEquals(CacheControl.ABSENT, c.maxAge());
        assertEquals(CacheControl.ABSENT, c.sMaxAge());
        assertEquals(CacheControl.ABSENT, c.maxStale());
        assertEquals(CacheControl.ABSENT, c.minFresh());
        assertEquals(CacheControl.ABSENT, c.staleWhileRevalidate());
        assertEquals(CacheControl.ABSENT, c.staleIfError());
        assertFalse(c.has(c.maxAge()));
    }

    @Test
    void rfc9111_5_2_directiveNamesAreCaseInsensitive() {
        CacheControl c = cc("MAX-AGE=60, No-Store, S-MaxAge=5, PRIVATE=\"Set-Cookie\"");
        assertEquals(60, c.maxAge());
        assertEquals(5, c.sMaxAge());
        assertTrue(c.noStore());
        assertEquals(Set.of("set-cookie"), c.privateFields());
    }

    @Test
    void rfc9111_5_2_3_unknownDirectivesAreIgnored() {
        CacheControl c = cc("foo, bar=\"baz, qux\", max-age=60, x-ext=1");
        assertEquals(60, c.maxAge());
        assertEquals(CacheControl.EMPTY, cc("community=\"UCI\", frobnicate"));
    }

    @Test
    void rfc9111_5_2_quotedStringValueIsUnquotedWithEscapes() {
        assertEquals(60, cc("max-age=\"60\"").maxAge());
        CacheControl c = cc("no-cache=\"Set-Cookie, X-A\\\\b\"");
        // "X-A\\b" unescapes to X-A\b which is not a token: skipped
        assertEquals(Set.of("set-cookie"), c.noCacheFields());
        CacheControl d = cc("private=\"x-\\a, y\"");
        assertEquals(Set.of("x-a", "y"), d.privateFields());
    }

    @Test
    void rfc9111_5_2_commaInsideQuotedStringDoesNotSplitDirectives() {
        CacheControl c = cc("no-cache=\"set-cookie, authorization\", max-age=3");
        assertTrue(c.noCache());
        assertEquals(Set.of("set-cookie", "authorization"), c.noCacheFields());
        assertEquals(3, c.maxAge());
    }

    @Test
    void rfc9111_5_2_2_4_noCacheWithFieldNamesIsLowerCasedAndQualified() {
        CacheControl c = cc("no-cache=\"Set-Cookie\"");
        assertTrue(c.noCache());
        assertEquals(Set.of("set-cookie"), c.noCacheFields());
        // token form is accepted too
        assertEquals(Set.of("set-cookie"), cc("no-cache=Set-Cookie").noCacheFields());
    }

    @Test
    void rfc9111_5_2_2_4_bareNoCacheDominatesQualifiedOccurrence() {
        CacheControl c = cc("no-cache=\"set-cookie\"", "no-cache");
        assertTrue(c.noCache());
        assertEquals(Set.of(), c.noCacheFields());
    }

    @Test
    void rfc9111_5_2_2_4_emptyFieldListIsTreatedAsBare() {
        CacheControl c = cc("no-cache=\"\"");
        assertTrue(c.noCache());
        assertEquals(Set.of(), c.noCacheFields());
    }

    @Test
    void rfc9111_5_2_2_7_privateFieldNamesFromSeveralOccurrencesAreUnited() {
        CacheControl c = cc("private=\"a\"", "private=\"B\"");
        assertTrue(c.isPrivate());
        assertEquals(Set.of("a", "b"), c.privateFields());
    }

    @Test
    void rfc9111_4_2_1_duplicateDirectiveFirstOccurrenceWins() {
        assertEquals(60, cc("max-age=60, max-age=10").maxAge());
        assertEquals(60, cc("max-age=60", "max-age=10").maxAge());
        assertEquals(CacheControl.INVALID, cc("max-age=abc, max-age=10").maxAge());
        assertEquals(7, cc("s-maxage=7, s-maxage=0").sMaxAge());
    }

    @ParameterizedTest
    @ValueSource(strings = {"max-age", "max-age=", "max-age=-1", "max-age=1.5", "max-age=abc", "max-age=6 0",
            "max-age=\"\"", "max-age=+5", "max-age=0x10"})
    void rfc9111_1_2_2_invalidDeltaSecondsIsInvalid(String line) {
        assertEquals(CacheControl.INVALID, cc(line).maxAge());
        assertTrue(cc(line).has(cc(line).maxAge()), "an invalid directive is still present");
    }

    @Test
    void rfc9111_1_2_2_hugeDeltaSecondsClampTo2Pow31() {
        assertEquals(CacheControl.MAX_DELTA, cc("max-age=2147483648").maxAge());
        assertEquals(CacheControl.MAX_DELTA, cc("max-age=2147483649").maxAge());
        assertEquals(CacheControl.MAX_DELTA, cc("s-maxage=99999999999999999999999999999").sMaxAge());
        assertEquals(2147483647L, cc("max-age=2147483647").maxAge());
        assertEquals(0, cc("max-age=0").maxAge());
        assertEquals(60, cc("max-age=0060").maxAge());
    }

    @Test
    void rfc9111_5_2_1_2_maxStaleWithoutValueIsAnyStaleness() {
        assertEquals(CacheControl.ANY_STALENESS, cc("max-stale").maxStale());
        assertEquals(30, cc("max-stale=30").maxStale());
        assertEquals(CacheControl.INVALID, cc("max-stale=x").maxStale());
    }

    @Test
    void rfc9111_5_2_whitespaceAroundMembersAndEqualsIsTolerated() {
        CacheControl c = cc("  max-age = 60 ,\tno-store  ");
        assertEquals(60, c.maxAge());
        assertTrue(c.noStore());
    }

    @Test
    void rfc9111_5_2_malformedMembersAreSkippedNeverThrow() {
        CacheControl c = cc("no store, =5, \"quoted\", max-age=60, private=\"unterminated");
        assertEquals(60, c.maxAge());
        assertFalse(c.noStore());
        assertFalse(c.isPrivate());
        // garbage after a quoted value makes that member malformed only
        CacheControl d = cc("private=\"a\"junk, public");
        assertFalse(d.isPrivate());
        assertTrue(d.isPublic());
        // control characters and odd bytes
        cc("\u0000\u0001max-age=1;;;\"\\");
        cc("\"");
        cc("a=\"\\");
    }

    @Test
    void rfc9111_5_2_noSubstringMatching() {
        assertFalse(cc("x-no-store").noStore());
        assertFalse(cc("no-store-please").noStore());
        assertFalse(cc("foo=\"no-store\"").noStore());
        assertEquals(CacheControl.ABSENT, cc("x-max-age=5").maxAge());
    }

    @Test
    void rfc9111_5_2_1_ofRequestReadsCacheControl() {
        CacheControl c = CacheControl.ofRequest(HeaderFields.of("cache-control", "no-cache, max-age=0"));
        assertTrue(c.noCache());
        assertEquals(0, c.maxAge());
    }

    @Test
    void rfc9111_5_4_pragmaNoCacheOnlyWithoutCacheControl() {
        CacheControl c = CacheControl.ofRequest(HeaderFields.of("Pragma", "No-Cache"));
        assertTrue(c.noCache());
        assertEquals(Set.of(), c.noCacheFields());
        CacheControl d = CacheControl.ofRequest(HeaderFields.of("Pragma", "no-cache", "Cache-Control", "max-age=5"));
        assertFalse(d.noCache());
        assertEquals(5, d.maxAge());
        assertFalse(CacheControl.ofRequest(HeaderFields.of("Pragma", "x-no-cache")).noCache());
        assertEquals(CacheControl.EMPTY, CacheControl.ofRequest(HeaderFields.EMPTY));
    }
}
