package dev.outpost.edge.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.outpost.edge.http.Reuse.Policy;
import dev.outpost.edge.http.Reuse.Verdict;

class ReuseTest {

    private static Policy policy(String cacheControl, long lifetime) {
        HeaderFields h = HeaderFields.of("Cache-Control", cacheControl);
        return Policy.of(ResponseControl.resolve(h, List.of()), lifetime);
    }

    private static CacheControl req(String cacheControl) {
        return CacheControl.parse(List.of(cacheControl));
    }

    private static final CacheControl NONE = CacheControl.EMPTY;

    @Test
    void rfc9111_4_2_policyOfResponseDirectives() {
        Policy p = policy("max-age=60, stale-while-revalidate=10, stale-if-error=20, immutable", 60);
        assertEquals(new Policy(60, 10, 20, false, false, true), p);
        assertEquals(new Policy(0, 0, 0, false, false, false), policy("stale-while-revalidate=x", -5));
    }

    @Test
    void rfc9111_5_2_2_mustRevalidateProxyRevalidateAndSMaxAgeAllMeanMustRevalidate() {
        assertTrue(policy("must-revalidate", 1).mustRevalidate());
        assertTrue(policy("proxy-revalidate", 1).mustRevalidate());
        assertTrue(policy("s-maxage=1", 1).mustRevalidate(), "§5.2.2.10 s-maxage implies proxy-revalidate");
        assertFalse(policy("max-age=1", 1).mustRevalidate());
    }

    @Test
    void rfc9111_5_2_2_4_onlyBareNoCacheForcesValidation() {
        assertTrue(policy("no-cache", 60).noCache());
        assertFalse(policy("no-cache=\"set-cookie\"", 60).noCache());
    }

    @Test
    void rfc9111_4_2_freshWhileAgeBelowLifetime() {
        Policy p = policy("max-age=60", 60);
        assertEquals(Verdict.FRESH, Reuse.decide(p, NONE, 0));
        assertEquals(Verdict.FRESH, Reuse.decide(p, NONE, 59));
        assertEquals(Verdict.MUST_VALIDATE, Reuse.decide(p, NONE, 60));
        assertEquals(Verdict.FRESH, Reuse.decide(p, null, 10));
    }

    @Test
    void rfc9111_5_2_1_4_requestNoCacheMustValidate() {
        assertEquals(Verdict.MUST_VALIDATE, Reuse.decide(policy("max-age=60", 60), req("no-cache"), 0));
    }

    @Test
    void rfc9111_5_4_requestPragmaNoCacheMustValidate() {
        CacheControl pragma = CacheControl.ofRequest(HeaderFields.of("Pragma", "no-cache"));
        assertEquals(Verdict.MUST_VALIDATE, Reuse.decide(policy("max-age=60", 60), pragma, 0));
    }

    @Test
    void rfc8246_2_immutableDoesNotOverrideRequestNoCache() {
        assertEquals(Verdict.MUST_VALIDATE, Reuse.decide(policy("max-age=60, immutable", 60), req("no-cache"), 0));
    }

    @Test
    void rfc9111_5_2_2_4_responseNoCacheMustValidateEvenWhenFresh() {
        Policy p = policy("no-cache, max-age=60, stale-while-revalidate=60", 60);
        assertEquals(Verdict.MUST_VALIDATE, Reuse.decide(p, NONE, 0));
        assertEquals(Verdict.MUST_VALIDATE, Reuse.decide(p, req("max-stale"), 100));
    }

    @Test
    void rfc9111_5_2_1_1_requestMaxAge() {
        Policy p = policy("max-age=60", 60);
        assertEquals(Verdict.FRESH, Reuse.decide(p, req("max-age=10"), 10));
        assertEquals(Verdict.MUST_VALIDATE, Reuse.decide(p, req("max-age=10"), 11));
        assertEquals(Verdict.FRESH, Reuse.decide(p, req("max-age=0"), 0));
        assertEquals(Verdict.MUST_VALIDATE, Reuse.decide(p, req("max-age=0"), 1));
    }

    @Test
    void rfc9111_5_2_1_3_requestMinFresh() {
        Policy p = policy("max-age=60", 60);
        assertEquals(Verdict.FRESH, Reuse.decide(p, req("min-fresh=20"), 40));
        assertEquals(Verdict.MUST_VALIDATE, Reuse.decide(p, req("min-fresh=20"), 41));
    }

    @Test
    void rfc9111_5_2_1_2_requestMaxStaleWithValue() {
        Policy p = policy("max-age=60", 60);
        assertEquals(Verdict.STALE_ACCEPTED, Reuse.decide(p, req("max-stale=30"), 60));
        assertEquals(Verdict.STALE_ACCEPTED, Reuse.decide(p, req("max-stale=30"), 89));
        assertEquals(Verdict.MUST_VALIDATE, Reuse.decide(p, req("max-stale=30"), 90));
        assertEquals(Verdict.FRESH, Reuse.decide(p, req("max-stale=30"), 10));
    }

    @Test
    void rfc9111_5_2_1_2_requestMaxStaleWithoutValueAcceptsAnyStaleness() {
        Policy p = policy("max-age=60", 60);
        assertEquals(Verdict.STALE_ACCEPTED, Reuse.decide(p, req("max-stale"), 1_000_000));
    }

    @Test
    void rfc9111_5_2_1_2_invalidMaxStaleIsIgnored() {
        assertEquals(Verdict.MUST_VALIDATE, Reuse.decide(policy("max-age=60", 60), req("max-stale=x"), 61));
    }

    @Test
    void rfc9111_5_2_1_1_requestMaxAgeLimitsMaxStale() {
        Policy p = policy("max-age=60", 60);
        assertEquals(Verdict.STALE_ACCEPTED, Reuse.decide(p, req("max-age=100, max-stale"), 80));
        assertEquals(Verdict.MUST_VALIDATE, Reuse.decide(p, req("max-age=70, max-stale"), 80));
    }

    @Test
    void rfc9111_5_2_2_2_mustRevalidateNeverServesStale() {
        Policy p = policy("max-age=60, must-revalidate, stale-while-revalidate=60", 60);
        assertEquals(Verdict.FRESH, Reuse.decide(p, NONE, 59));
        assertEquals(Verdict.MUST_VALIDATE, Reuse.decide(p, req("max-stale"), 61));
        assertEquals(Verdict.MUST_VALIDATE, Reuse.decide(p, NONE, 61));
    }

    @Test
    void rfc9111_5_2_2_8_proxyRevalidateNeverServesStaleFromASharedCache() {
        Policy p = policy("max-age=60, proxy-revalidate, stale-while-revalidate=60", 60);
        assertEquals(Verdict.MUST_VALIDATE, Reuse.decide(p, req("max-stale"), 61));
        assertEquals(Verdict.MUST_VALIDATE, Reuse.decide(p, NONE, 61));
    }

    @Test
    void rfc9111_5_2_2_10_sMaxAgeNeverServesStale() {
        Policy p = policy("s-maxage=60, stale-while-revalidate=60", 60);
        assertEquals(Verdict.FRESH, Reuse.decide(p, NONE, 10));
        assertEquals(Verdict.MUST_VALIDATE, Reuse.decide(p, NONE, 61));
        assertEquals(Verdict.MUST_VALIDATE, Reuse.decide(p, req("max-stale"), 61));
    }

    @Test
    void rfc5861_3_staleWhileRevalidateWindow() {
        Policy p = policy("max-age=60, stale-while-revalidate=30", 60);
        assertEquals(Verdict.FRESH, Reuse.decide(p, NONE, 59));
        assertEquals(Verdict.STALE_WHILE_REVALIDATE, Reuse.decide(p, NONE, 60));
        assertEquals(Verdict.STALE_WHILE_REVALIDATE, Reuse.decide(p, NONE, 89));
        assertEquals(Verdict.MUST_VALIDATE, Reuse.decide(p, NONE, 90));
        assertEquals(Verdict.MUST_VALIDATE, Reuse.decide(policy("max-age=60", 60), NONE, 60));
    }

    @Test
    void rfc9111_5_2_1_maxStaleTakesPrecedenceOverSwr() {
        Policy p = policy("max-age=60, stale-while-revalidate=30", 60);
        assertEquals(Verdict.STALE_ACCEPTED, Reuse.decide(p, req("max-stale=10"), 65));
        assertEquals(Verdict.STALE_WHILE_REVALIDATE, Reuse.decide(p, req("max-stale=2"), 65));
    }

    @Test
    void rfc9111_5_2_1_1_requestMaxAgeOrMinFreshExcludeSwr() {
        Policy p = policy("max-age=60, stale-while-revalidate=30", 60);
        assertEquals(Verdict.MUST_VALIDATE, Reuse.decide(p, req("max-age=0"), 65));
        assertEquals(Verdict.MUST_VALIDATE, Reuse.decide(p, req("max-age=600"), 65));
        assertEquals(Verdict.MUST_VALIDATE, Reuse.decide(p, req("min-fresh=1"), 65));
    }

    @Test
    void rfc9111_1_2_2_invalidRequestDeltasAreIgnored() {
        Policy p = policy("max-age=60, stale-while-revalidate=30", 60);
        assertEquals(Verdict.FRESH, Reuse.decide(p, req("max-age=x, min-fresh=y"), 30));
        assertEquals(Verdict.STALE_WHILE_REVALIDATE, Reuse.decide(p, req("max-age=x"), 65));
    }

    @Test
    void rfc5861_4_staleIfErrorFromResponse() {
        Policy p = policy("max-age=60, stale-if-error=100", 60);
        assertTrue(Reuse.staleIfErrorAllows(p, NONE, 60));
        assertTrue(Reuse.staleIfErrorAllows(p, NONE, 159));
        assertFalse(Reuse.staleIfErrorAllows(p, NONE, 160));
        assertFalse(Reuse.staleIfErrorAllows(policy("max-age=60", 60), NONE, 61));
    }

    @Test
    void rfc5861_4_staleIfErrorFromRequestLargerWindowWins() {
        Policy p = policy("max-age=60, stale-if-error=10", 60);
        assertFalse(Reuse.staleIfErrorAllows(p, NONE, 100));
        assertTrue(Reuse.staleIfErrorAllows(p, req("stale-if-error=300"), 100));
        assertTrue(Reuse.staleIfErrorAllows(policy("max-age=60", 60), req("stale-if-error=300"), 100));
        assertFalse(Reuse.staleIfErrorAllows(p, req("stale-if-error=5"), 100));
        assertTrue(Reuse.staleIfErrorAllows(p, null, 65));
    }

    @Test
    void rfc5861_4_staleIfErrorNotWithMustRevalidate() {
        assertFalse(Reuse.staleIfErrorAllows(policy("max-age=60, stale-if-error=100, must-revalidate", 60),
                req("stale-if-error=100"), 61));
        assertFalse(Reuse.staleIfErrorAllows(policy("s-maxage=60, stale-if-error=100", 60), NONE, 61));
    }

    @Test
    void rfc9111_4_2_4_freshResponseMayBeServedOnErrorButNotNoCache() {
        assertTrue(Reuse.staleIfErrorAllows(policy("max-age=60, must-revalidate", 60), NONE, 10));
        assertFalse(Reuse.staleIfErrorAllows(policy("no-cache, max-age=60, stale-if-error=99", 60), NONE, 10));
    }

    @Test
    void rfc5861_4_withoutAskingOnlyStaleResponsesStaleIfErrorCovers() {
        Policy p = policy("max-age=60, stale-if-error=100", 60);
        assertTrue(Reuse.staleIfErrorAllowsWithoutAsking(p, NONE, 60));
        assertTrue(Reuse.staleIfErrorAllowsWithoutAsking(p, NONE, 159));
        assertFalse(Reuse.staleIfErrorAllowsWithoutAsking(p, NONE, 160), "past the stale-if-error window");
        assertFalse(Reuse.staleIfErrorAllowsWithoutAsking(p, NONE, 59), "fresh: a request that refused it asks");
        assertFalse(Reuse.staleIfErrorAllowsWithoutAsking(policy("max-age=60", 60), NONE, 61));
        assertFalse(Reuse.staleIfErrorAllowsWithoutAsking(
                policy("max-age=60, stale-if-error=100, must-revalidate", 60), NONE, 61));
        assertFalse(Reuse.staleIfErrorAllowsWithoutAsking(policy("no-cache, stale-if-error=100", 0), NONE, 1));
        assertTrue(Reuse.staleIfErrorAllowsWithoutAsking(p, NONE, Reuse.invalidatedAge(p, 5)),
                "a soft-purged entry is stale however young");
    }

    @Test
    void rfc9111_5_2_1_requestsAskingForValidationOrFreshnessAreNotAnsweredWithoutAsking() {
        Policy p = policy("max-age=60, stale-if-error=100", 60);
        assertFalse(Reuse.staleIfErrorAllowsWithoutAsking(p, req("no-cache"), 70));
        assertFalse(Reuse.staleIfErrorAllowsWithoutAsking(p, req("max-age=0"), 70));
        assertFalse(Reuse.staleIfErrorAllowsWithoutAsking(p, req("min-fresh=5"), 70));
        assertTrue(Reuse.staleIfErrorAllowsWithoutAsking(p, req("stale-if-error=300"), 200),
                "the request's own stale-if-error widens the window (RFC 5861 §4)");
        assertTrue(Reuse.staleIfErrorAllowsWithoutAsking(p, null, 70));
    }

    @Test
    void rfc9211_2_4_ttlNeverNegative() {
        Policy p = policy("max-age=60", 60);
        assertEquals(50, Reuse.ttl(p, 10));
        assertEquals(0, Reuse.ttl(p, 100));
    }

    /** ARCHITECTURE §4 soft purge: an invalidated entry is stale (RFC 9111 §4.2) however young it is. */
    @Test
    void rfc5861_3_invalidatedEntryIsStaleSoStaleWhileRevalidateApplies() {
        Policy swr = policy("max-age=600, stale-while-revalidate=60", 600);
        assertEquals(Verdict.FRESH, Reuse.decide(swr, NONE, 5));
        assertEquals(Verdict.STALE_WHILE_REVALIDATE, Reuse.decide(swr, NONE, Reuse.invalidatedAge(swr, 5)));
        assertEquals(Verdict.STALE_WHILE_REVALIDATE, Reuse.decide(swr, NONE, Reuse.invalidatedAge(swr, 659)));
        assertEquals(Verdict.MUST_VALIDATE, Reuse.decide(swr, NONE, Reuse.invalidatedAge(swr, 660)));
        assertEquals(Verdict.MUST_VALIDATE, Reuse.decide(policy("max-age=600", 600), NONE,
                Reuse.invalidatedAge(policy("max-age=600", 600), 5)), "without swr: validated first");
    }

    @Test
    void rfc9111_4_2_4_invalidatedEntryWithMustRevalidateOrRequestNoCacheIsValidated() {
        Policy p = policy("max-age=600, must-revalidate, stale-while-revalidate=60", 600);
        assertEquals(Verdict.MUST_VALIDATE, Reuse.decide(p, NONE, Reuse.invalidatedAge(p, 5)));
        Policy swr = policy("max-age=600, stale-while-revalidate=60", 600);
        assertEquals(Verdict.MUST_VALIDATE, Reuse.decide(swr, req("no-cache"), Reuse.invalidatedAge(swr, 5)));
    }

    @Test
    void rfc5861_4_invalidatedEntryIsWithinStaleIfErrorFromItsPurge() {
        Policy p = policy("max-age=600, stale-if-error=30", 600);
        assertTrue(Reuse.staleIfErrorAllows(p, NONE, Reuse.invalidatedAge(p, 5)));
        assertEquals(600, Reuse.invalidatedAge(p, 5));
        assertEquals(700, Reuse.invalidatedAge(p, 700));
    }
}
