package dev.outpost.edge.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CacheabilityTest {

    private static final HeaderFields NO_REQUEST_FIELDS = HeaderFields.EMPTY;
    private static final HeaderFields AUTH = HeaderFields.of("Authorization", "Bearer x");

    private static NoCacheReason response(int status, String... responseFields) {
        return response("GET", NO_REQUEST_FIELDS, status, responseFields);
    }

    private static NoCacheReason response(String method, Fields request, int status, String... responseFields) {
        HeaderFields response = HeaderFields.of(responseFields);
        return Cacheability.checkResponse(method, request, status, response,
                ResponseControl.resolve(response, List.of("CDN-Cache-Control")));
    }

    private static NoCacheReason request(String method, String... fields) {
        HeaderFields h = HeaderFields.of(fields);
        return Cacheability.checkRequest(method, h, CacheControl.ofRequest(h));
    }

    // ---- request side ----

    @Test
    void rfc9111_2_getAndHeadMayUseTheCache() {
        assertNull(request("GET"));
        assertNull(request("HEAD"));
        assertNull(request("GET", "Authorization", "Basic x"), "Authorization only restricts storing (§3.5)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"POST", "PUT", "DELETE", "OPTIONS", "PATCH", "get", "TRACE", "CONNECT"})
    void rfc9110_9_1_otherMethodsBypass(String method) {
        assertEquals(NoCacheReason.METHOD, request(method));
    }

    @Test
    void rfc9111_5_2_1_5_requestNoStoreBypasses() {
        assertEquals(NoCacheReason.REQUEST_NO_STORE, request("GET", "Cache-Control", "max-age=0, No-Store"));
        // null directives are computed from the request
        assertEquals(NoCacheReason.REQUEST_NO_STORE,
                Cacheability.checkRequest("GET", HeaderFields.of("Cache-Control", "no-store"), null));
    }

    @ParameterizedTest
    @ValueSource(strings = {"X-HTTP-Method-Override", "x-http-method", "X-Method-Override"})
    void rfc9110_9_1_methodOverrideHeadersBypass(String name) {
        assertEquals(NoCacheReason.METHOD_OVERRIDE, request("GET", name, "DELETE"));
    }

    @Test
    void rfc9111_3_requestChecksInOrder() {
        assertEquals(NoCacheReason.METHOD, request("POST", "Cache-Control", "no-store", "X-HTTP-Method", "GET"));
        assertEquals(NoCacheReason.REQUEST_NO_STORE, request("GET", "Cache-Control", "no-store", "X-HTTP-Method", "X"));
    }

    // ---- response side ----

    @Test
    void rfc9111_3_plain200IsStorable() {
        assertNull(response(200));
        assertNull(response(200, "Cache-Control", "max-age=60"));
    }

    @Test
    void rfc9111_3_onlyGetResponsesAreStored() {
        assertEquals(NoCacheReason.METHOD, response("HEAD", NO_REQUEST_FIELDS, 200, "Cache-Control", "max-age=60"));
        assertEquals(NoCacheReason.METHOD, response("POST", NO_REQUEST_FIELDS, 200, "Cache-Control", "max-age=60"));
    }

    @Test
    void rfc9111_3_3_partialContentNeverStored() {
        assertEquals(NoCacheReason.PARTIAL_CONTENT, response(206, "Cache-Control", "max-age=60"));
    }

    @ParameterizedTest
    @ValueSource(ints = {100, 101, 103, 304, 0, 99, 600, 999, -1})
    void rfc9111_3_nonFinalOr304OrBogusStatusNotStored(int status) {
        assertEquals(NoCacheReason.STATUS, response(status, "Cache-Control", "max-age=60"));
    }

    @Test
    void rfc9111_5_2_2_3_mustUnderstandWithUnknownStatusNotStored() {
        assertEquals(NoCacheReason.MUST_UNDERSTAND_UNKNOWN_STATUS,
                response(299, "Cache-Control", "must-understand, no-store, max-age=60"));
        assertEquals(NoCacheReason.MUST_UNDERSTAND_UNKNOWN_STATUS,
                response(418, "Cache-Control", "must-understand, max-age=60"));
    }

    @Test
    void rfc9111_5_2_2_3_mustUnderstandOverridesNoStoreForUnderstoodStatus() {
        assertNull(response(200, "Cache-Control", "must-understand, no-store, max-age=60"));
    }

    @Test
    void rfc9111_5_2_2_5_noStoreNotStored() {
        assertEquals(NoCacheReason.RESPONSE_NO_STORE, response(200, "Cache-Control", "no-store"));
        assertEquals(NoCacheReason.RESPONSE_NO_STORE, response(200, "Cache-Control", "max-age=60", "Cache-Control",
                "NO-STORE"));
        assertEquals(NoCacheReason.RESPONSE_NO_STORE, response(200, "CDN-Cache-Control", "no-store",
                "Cache-Control", "max-age=60"));
    }

    @Test
    void rfc9111_5_2_2_7_privateNotStoredByASharedCache() {
        assertEquals(NoCacheReason.PRIVATE, response(200, "Cache-Control", "private, max-age=60"));
    }

    @Test
    void rfc9111_5_2_2_7_privateWithFieldNamesIsStoredWithoutThem() {
        assertNull(response(200, "Cache-Control", "private=\"x-user\", max-age=60", "X-User", "alice"));
        ResponseControl rc = ResponseControl.resolve(
                HeaderFields.of("Cache-Control", "private=\"X-User\", no-cache=\"set-cookie\""), List.of());
        assertEquals(Set.of("x-user", "set-cookie"), Cacheability.fieldsToStrip(rc));
    }

    @Test
    void rfc9111_5_2_2_4_fieldsToStripEmptyWithoutQualifiedDirectives() {
        ResponseControl rc = ResponseControl.resolve(HeaderFields.of("Cache-Control", "no-cache, max-age=5"),
                List.of());
        assertEquals(Set.of(), Cacheability.fieldsToStrip(rc));
    }

    @Test
    void rfc9111_5_2_targetedFieldOverridesPrivateInCacheControl() {
        assertNull(response(200, "Cache-Control", "private", "CDN-Cache-Control", "max-age=60"));
    }

    @Test
    void rfc9111_3_5_authorizationRequiresPublicSMaxAgeOrMustRevalidate() {
        assertEquals(NoCacheReason.AUTHORIZATION, response("GET", AUTH, 200, "Cache-Control", "max-age=60"));
        assertEquals(NoCacheReason.AUTHORIZATION, response("GET", AUTH, 200));
        assertEquals(NoCacheReason.AUTHORIZATION, response("GET", AUTH, 200, "Cache-Control",
                "proxy-revalidate, max-age=60"));
        assertNull(response("GET", AUTH, 200, "Cache-Control", "public"));
        assertNull(response("GET", AUTH, 200, "Cache-Control", "s-maxage=60"));
        assertNull(response("GET", AUTH, 200, "Cache-Control", "must-revalidate, max-age=60"));
        assertNull(response("GET", AUTH, 200, "CDN-Cache-Control", "public, max-age=60"));
    }

    @Test
    void rfc9111_3_5_authorizationCheckedAfterPrivate() {
        assertEquals(NoCacheReason.PRIVATE, response("GET", AUTH, 200, "Cache-Control", "private, public"));
    }

    @Test
    void rfc9111_3_errorStatusNeedsExplicitFreshness() {
        assertEquals(NoCacheReason.NO_EXPLICIT_FRESHNESS, response(404));
        assertEquals(NoCacheReason.NO_EXPLICIT_FRESHNESS, response(404, "Last-Modified",
                "Sun, 06 Nov 1994 08:49:37 GMT"));
        assertEquals(NoCacheReason.NO_EXPLICIT_FRESHNESS, response(404, "Cache-Control", "public"));
        assertEquals(NoCacheReason.NO_EXPLICIT_FRESHNESS, response(500, "Cache-Control", "public"));
        assertNull(response(404, "Cache-Control", "max-age=10"));
        assertNull(response(503, "Cache-Control", "s-maxage=10"));
        assertNull(response(410, "Expires", "Sun, 06 Nov 2095 08:49:37 GMT"));
        assertNull(response(500, "CDN-Cache-Control", "max-age=5"));
    }

    @Test
    void rfc9111_4_2_1_expiresIgnoredUnderTargetedForExplicitFreshness() {
        assertEquals(NoCacheReason.NO_EXPLICIT_FRESHNESS, response(404, "CDN-Cache-Control", "public",
                "Expires", "Sun, 06 Nov 2095 08:49:37 GMT"));
    }

    @Test
    void rfc9110_15_1_nonHeuristicStatusNeedsExplicitFreshnessOrPublic() {
        assertEquals(NoCacheReason.NO_EXPLICIT_FRESHNESS, response(302));
        assertEquals(NoCacheReason.NO_EXPLICIT_FRESHNESS, response(201));
        assertEquals(NoCacheReason.NO_EXPLICIT_FRESHNESS, response(299));
        assertNull(response(302, "Cache-Control", "max-age=60"));
        assertNull(response(307, "Cache-Control", "public"));
        assertNull(response(299, "Cache-Control", "max-age=60"), "unknown status without must-understand (§3)");
    }

    @ParameterizedTest
    @ValueSource(ints = {200, 203, 204, 300, 301, 308})
    void rfc9110_15_1_heuristicallyCacheableStatusesAreStorable(int status) {
        assertNull(response(status));
    }

    @Test
    void rfc9111_3_setCookieNotStoredUnlessNamedByPrivateOrNoCache() {
        assertEquals(NoCacheReason.SET_COOKIE, response(200, "Cache-Control", "max-age=60", "Set-Cookie", "a=b"));
        assertEquals(NoCacheReason.SET_COOKIE, response(200, "Cache-Control", "public, no-cache", "set-cookie",
                "a=b"));
        assertNull(response(200, "Cache-Control", "max-age=60, private=\"Set-Cookie\"", "Set-Cookie", "a=b"));
        assertNull(response(200, "Cache-Control", "max-age=60, no-cache=\"set-cookie\"", "Set-Cookie", "a=b"));
    }

    @Test
    void rfc9111_4_1_varyStarNotStored() {
        assertEquals(NoCacheReason.VARY_STAR, response(200, "Cache-Control", "max-age=60", "Vary", "Accept, *"));
        assertNull(response(200, "Cache-Control", "max-age=60", "Vary", "Accept-Encoding"));
    }

    @Test
    void rfc9111_3_responseChecksInOrder() {
        assertEquals(NoCacheReason.METHOD, response("HEAD", AUTH, 206, "Cache-Control", "no-store"));
        assertEquals(NoCacheReason.PARTIAL_CONTENT, response(206, "Cache-Control", "no-store"));
        assertEquals(NoCacheReason.STATUS, response(304, "Cache-Control", "must-understand, no-store"));
        assertEquals(NoCacheReason.RESPONSE_NO_STORE, response(200, "Cache-Control", "no-store, private"));
        assertEquals(NoCacheReason.AUTHORIZATION, response("GET", AUTH, 404, "Set-Cookie", "a", "Vary", "*"));
        assertEquals(NoCacheReason.NO_EXPLICIT_FRESHNESS, response(404, "Set-Cookie", "a", "Vary", "*"));
        assertEquals(NoCacheReason.SET_COOKIE, response(200, "Set-Cookie", "a", "Vary", "*"));
    }

    @Test
    void rfc9111_5_2_2_3_understoodStatuses() {
        for (int s : new int[] {200, 203, 204, 206, 301, 302, 304, 307, 308, 404, 410, 500, 501, 503}) {
            assertTrue(Cacheability.understoodStatus(s), "status " + s);
        }
        for (int s : new int[] {100, 199, 299, 418, 429, 599, 600}) {
            assertFalse(Cacheability.understoodStatus(s), "status " + s);
        }
    }
}
