package dev.outpost.edge.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ResponseControlTest {

    private static final List<String> CDN = List.of("CDN-Cache-Control");

    private static ResponseControl resolve(String... nameValues) {
        return ResponseControl.resolve(HeaderFields.of(nameValues), CDN);
    }

    @Test
    void rfc9213_2_1_targetedFieldWinsOverCacheControl() {
        ResponseControl rc = resolve("Cache-Control", "no-store, max-age=5", "CDN-Cache-Control", "max-age=600");
        assertEquals(ResponseControl.Source.TARGETED, rc.source());
        assertEquals(600, rc.directives().maxAge());
        assertFalse(rc.directives().noStore(), "Cache-Control is ignored entirely");
        assertFalse(rc.expiresApplies());
    }

    @Test
    void rfc9213_2_1_firstValidFieldInConfiguredOrderWins() {
        HeaderFields h = HeaderFields.of("CDN-Cache-Control", "max-age=10", "Outpost-CDN-Cache-Control", "max-age=20");
        ResponseControl rc = ResponseControl.resolve(h, List.of("Outpost-CDN-Cache-Control", "CDN-Cache-Control"));
        assertEquals(20, rc.directives().maxAge());
        ResponseControl rc2 = ResponseControl.resolve(h, List.of("CDN-Cache-Control", "Outpost-CDN-Cache-Control"));
        assertEquals(10, rc2.directives().maxAge());
    }

    @ParameterizedTest
    @ValueSource(strings = {"Max-Age=60", "max-age=60,", "max-age=\"60", "max-age=60;;", "max-age=1 2", "",
            "max-age==1", "%bad"})
    void rfc9213_2_2_invalidOrEmptyTargetedFieldIsIgnored(String value) {
        ResponseControl rc = resolve("CDN-Cache-Control", value, "Cache-Control", "max-age=5");
        assertEquals(ResponseControl.Source.CACHE_CONTROL, rc.source());
        assertEquals(5, rc.directives().maxAge());
        assertTrue(rc.expiresApplies());
    }

    @Test
    void rfc9213_2_2_invalidFirstTargetedFieldFallsBackToNextOne() {
        HeaderFields h = HeaderFields.of("A-CC", "MAX-AGE=1", "B-CC", "max-age=2");
        ResponseControl rc = ResponseControl.resolve(h, List.of("A-CC", "B-CC"));
        assertEquals(ResponseControl.Source.TARGETED, rc.source());
        assertEquals(2, rc.directives().maxAge());
    }

    @Test
    void rfc9213_2_2_membersMapOntoDirectives() {
        CacheControl c = resolve("CDN-Cache-Control",
                "max-age=60, s-maxage=30, stale-while-revalidate=5, stale-if-error=7, must-revalidate, "
                        + "proxy-revalidate, public, no-transform, immutable, must-understand, no-store").directives();
        assertEquals(60, c.maxAge());
        assertEquals(30, c.sMaxAge());
        assertEquals(5, c.staleWhileRevalidate());
        assertEquals(7, c.staleIfError());
        assertTrue(c.mustRevalidate());
        assertTrue(c.proxyRevalidate());
        assertTrue(c.isPublic());
        assertTrue(c.noTransform());
        assertTrue(c.immutable());
        assertTrue(c.mustUnderstand());
        assertTrue(c.noStore());
    }

    @Test
    void rfc9213_2_2_multipleFieldLinesAreCombined() {
        CacheControl c = ResponseControl.resolve(
                HeaderFields.of("CDN-Cache-Control", "max-age=60", "CDN-Cache-Control", "no-transform"), CDN)
                .directives();
        assertEquals(60, c.maxAge());
        assertTrue(c.noTransform());
    }

    @Test
    void rfc9213_2_2_noCacheAndPrivateWithInnerListOrStringOfFieldNames() {
        CacheControl c = resolve("CDN-Cache-Control", "private=(\"Set-Cookie\" \"x-a\"), no-cache=\"a, b\"")
                .directives();
        assertTrue(c.isPrivate());
        assertEquals(Set.of("set-cookie", "x-a"), c.privateFields());
        assertTrue(c.noCache());
        assertEquals(Set.of("a", "b"), c.noCacheFields());
        CacheControl bare = resolve("CDN-Cache-Control", "private, no-cache").directives();
        assertTrue(bare.isPrivate());
        assertEquals(Set.of(), bare.privateFields());
        assertTrue(bare.noCache());
        assertEquals(Set.of(), bare.noCacheFields());
    }

    @Test
    void rfc9213_2_2_booleanFalseMembersCountAsAbsent() {
        CacheControl c = resolve("CDN-Cache-Control", "no-store=?0, private=?0, max-age=?0, public").directives();
        assertFalse(c.noStore());
        assertFalse(c.isPrivate());
        assertEquals(CacheControl.ABSENT, c.maxAge());
        assertTrue(c.isPublic());
    }

    @Test
    void rfc9213_2_2_nonIntegerDeltaIsInvalid() {
        assertEquals(CacheControl.INVALID, resolve("CDN-Cache-Control", "max-age=1.5").directives().maxAge());
        assertEquals(CacheControl.INVALID, resolve("CDN-Cache-Control", "max-age=-5").directives().maxAge());
        assertEquals(CacheControl.INVALID, resolve("CDN-Cache-Control", "max-age=\"60\"").directives().maxAge());
        assertEquals(CacheControl.INVALID, resolve("CDN-Cache-Control", "max-age").directives().maxAge());
    }

    @Test
    void rfc9213_2_2_hugeIntegerClampsAndParametersAreIgnored() {
        CacheControl c = resolve("CDN-Cache-Control", "max-age=999999999999999;foo=1, unknown=?1").directives();
        assertEquals(CacheControl.MAX_DELTA, c.maxAge());
    }

    @Test
    void rfc8941_3_2_duplicateDictionaryKeyLastValueWins() {
        // structured-field semantics, unlike Cache-Control's first-occurrence rule
        assertEquals(30, resolve("CDN-Cache-Control", "max-age=60, max-age=30").directives().maxAge());
    }

    @Test
    @DisplayName("RFC 9213 §2.1 Expires is ignored under a targeted field")
    void rfc9213_2_1_expiresIgnoredUnderTargeted() {
        ResponseControl rc = resolve("CDN-Cache-Control", "public", "Expires", "Thu, 01 Jan 2099 00:00:00 GMT");
        assertFalse(rc.expiresApplies());
    }

    @Test
    void edgeArch_surrogateControlOverridesCacheControl() {
        ResponseControl rc = resolve("Surrogate-Control", "max-age=300, content=\"ESI/1.0\"", "Cache-Control",
                "private, max-age=0");
        assertEquals(ResponseControl.Source.SURROGATE, rc.source());
        assertEquals(300, rc.directives().maxAge());
        assertFalse(rc.directives().isPrivate());
        assertFalse(rc.expiresApplies());
    }

    @Test
    void edgeArch_surrogateControlNoStore() {
        ResponseControl rc = resolve("Surrogate-Control", "No-Store", "Cache-Control", "max-age=60");
        assertEquals(ResponseControl.Source.SURROGATE, rc.source());
        assertTrue(rc.directives().noStore());
        assertEquals(CacheControl.ABSENT, rc.directives().maxAge());
    }

    @Test
    void edgeArch_surrogateControlOnlyMaxAgeAndNoStoreUnderstood() {
        ResponseControl rc = resolve("Surrogate-Control", "max-age=60, no-cache, private, public, s-maxage=5");
        CacheControl c = rc.directives();
        assertEquals(60, c.maxAge());
        assertFalse(c.noCache());
        assertFalse(c.isPrivate());
        assertFalse(c.isPublic());
        assertEquals(CacheControl.ABSENT, c.sMaxAge());
    }

    @Test
    void edgeArch_surrogateControlWithoutUnderstoodMembersDoesNotApply() {
        ResponseControl rc = resolve("Surrogate-Control", "content=\"ESI/1.0\"", "Cache-Control", "max-age=7");
        assertEquals(ResponseControl.Source.CACHE_CONTROL, rc.source());
        assertEquals(7, rc.directives().maxAge());
    }

    @Test
    void edgeArch_surrogateControlTargetedFormIsIgnoredAndPlusFormUsesFirstNumber() {
        ResponseControl targeted = resolve("Surrogate-Control", "max-age=60;edge", "Cache-Control", "max-age=7");
        assertEquals(ResponseControl.Source.CACHE_CONTROL, targeted.source());
        assertEquals(60, resolve("Surrogate-Control", "max-age=60+30").directives().maxAge());
        assertEquals(CacheControl.INVALID, resolve("Surrogate-Control", "max-age=abc").directives().maxAge());
    }

    @Test
    void rfc9213_2_1_targetedWinsOverSurrogateControl() {
        ResponseControl rc = resolve("Surrogate-Control", "max-age=300", "CDN-Cache-Control", "max-age=30");
        assertEquals(ResponseControl.Source.TARGETED, rc.source());
        assertEquals(30, rc.directives().maxAge());
    }

    @Test
    void rfc9111_5_2_cacheControlWhenNothingElseApplies() {
        ResponseControl rc = resolve("Cache-Control", "max-age=5");
        assertEquals(ResponseControl.Source.CACHE_CONTROL, rc.source());
        assertTrue(rc.expiresApplies());
        assertEquals(5, rc.directives().maxAge());
        ResponseControl none = ResponseControl.resolve(HeaderFields.EMPTY, List.of());
        assertEquals(CacheControl.EMPTY, none.directives());
        assertEquals(ResponseControl.Source.CACHE_CONTROL, none.source());
    }
}
