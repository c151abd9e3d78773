package dev.outpost.edge.proxy;

import static com.github.tomakehurst.wiremock.client.WireMock.absent;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.client.WireMock;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.outpost.edge.testing.CacheStatusEntry;
import dev.outpost.edge.testing.EdgeTestBase;
import dev.outpost.edge.testing.RawHttp;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Accept-Encoding normalisation end to end (cache.accept-encoding): what the origin is sent, and how
 * responses with {@code Vary: Accept-Encoding} are shared (RFC 9111 §4.1, RFC 9110 §12.5.3).
 */
class AcceptEncodingIT extends EdgeTestBase {

    @BeforeEach
    void originVariesOnAcceptEncoding() {
        origin.stubFor(WireMock.get("/page").willReturn(page("identity", null)));
        origin.stubFor(WireMock.get("/page").withHeader("Accept-Encoding", absent()).willReturn(page("absent", null)));
        origin.stubFor(WireMock.get("/page").withHeader("Accept-Encoding", equalTo("br, gzip"))
                .willReturn(page("brotli", "br")));
        origin.stubFor(WireMock.get("/page").withHeader("Accept-Encoding", equalTo("gzip"))
                .willReturn(page("gzipped", "gzip")));
    }

    private static com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder page(String body, String coding) {
        var r = aResponse().withHeader("Cache-Control", "max-age=60").withHeader("Vary", "Accept-Encoding")
                .withBody(body);
        return coding == null ? r : r.withHeader("Content-Encoding", coding);
    }

    private static CacheStatusEntry status(RawHttp.Response r) {
        return CacheStatusEntry.parse(ourCacheStatus(r));
    }

    private List<String> originSaw() {
        return origin.findAll(getRequestedFor(urlEqualTo("/page"))).stream()
                .map(r -> r.containsHeader("Accept-Encoding") ? r.getHeader("Accept-Encoding") : "(absent)").toList();
    }

    @Test
    void spellingsOfOnePreferenceShareOneVariantAndTheOriginSeesTheNormalForm() throws Exception {
        RawHttp.Response chrome = get("/page", "Accept-Encoding: gzip, deflate, br");
        assertEquals("brotli", chrome.text());
        assertEquals("br", chrome.header("Content-Encoding"));
        assertEquals("uri-miss", status(chrome).fwd());
        for (String spelling : List.of("br, gzip", "gzip;q=1.0, br;q=0.8, deflate", "BR, X-Gzip", "*;q=0.1, zstd;q=0")) {
            RawHttp.Response r = get("/page", "Accept-Encoding: " + spelling);
            assertEquals("brotli", r.text(), spelling);
            assertTrue(status(r).hit(), spelling + ": " + ourCacheStatus(r));
        }
        // a client that does not accept br is never given the br variant
        RawHttp.Response gzipOnly = get("/page", "Accept-Encoding: gzip, deflate");
        assertEquals("gzipped", gzipOnly.text());
        assertEquals("vary-miss", status(gzipOnly).fwd());
        assertTrue(status(get("/page", "Accept-Encoding: gzip;q=0.5")).hit());
        // no coding the edge knows: identity; and an absent field stays absent
        assertEquals("identity", get("/page", "Accept-Encoding: deflate").text());
        assertEquals("absent", get("/page").text());
        // a field refusing identity is forwarded as it is, and keyed as it is
        get("/page", "Accept-Encoding: br, identity;q=0");
        assertTrue(status(get("/page", "Accept-Encoding: br, identity;q=0")).hit());
        assertEquals("vary-miss", status(get("/page", "Accept-Encoding: br, gzip, identity;q=0")).fwd());

        assertEquals(List.of("br, gzip", "gzip", "identity", "(absent)", "br, identity;q=0",
                "br, gzip, identity;q=0"), originSaw());
    }

    @Test
    void aValidationSendsTheNormalFormAndThe304FreshenedVariantServesEverySpelling() throws Exception {
        origin.stubFor(WireMock.get("/v").willReturn(aResponse().withHeader("Vary", "Accept-Encoding")
                .withHeader("Cache-Control", "max-age=10").withHeader("ETag", "\"1\"").withBody("x")));
        origin.stubFor(WireMock.get("/v").withHeader("If-None-Match", equalTo("\"1\"")).willReturn(aResponse()
                .withStatus(304).withHeader("Vary", "Accept-Encoding").withHeader("Cache-Control", "max-age=10")
                .withHeader("ETag", "\"1\"")));
        get("/v", "Accept-Encoding: gzip, deflate, br");
        clock.advance(Duration.ofSeconds(20));
        RawHttp.Response validated = get("/v", "Accept-Encoding: br,gzip");
        assertEquals("stale", status(validated).fwd(), ourCacheStatus(validated));
        assertEquals("304", status(validated).fwdStatus());
        assertTrue(status(get("/v", "Accept-Encoding: gzip;q=0.9, br")).hit(), "the freshened variant is shared");
        List<LoggedRequest> sent = origin.findAll(getRequestedFor(urlEqualTo("/v")));
        assertEquals(2, sent.size());
        sent.forEach(r -> assertEquals("br, gzip", r.getHeader("Accept-Encoding")));
    }

    @Test
    void aBackgroundRevalidationSendsTheNormalFormAndRefreshesTheSharedVariant() throws Exception {
        origin.stubFor(WireMock.get("/swr").willReturn(aResponse().withHeader("Vary", "Accept-Encoding")
                .withHeader("Cache-Control", "max-age=10, stale-while-revalidate=60")
                .withHeader("Content-Encoding", "br").withBody("v1"))); // (WireMock gzips bodies without one)
        get("/swr", "Accept-Encoding: gzip, deflate, br");
        clock.advance(Duration.ofSeconds(20));
        origin.stubFor(WireMock.get("/swr").willReturn(aResponse().withHeader("Vary", "Accept-Encoding")
                .withHeader("Cache-Control", "max-age=10, stale-while-revalidate=60")
                .withHeader("Content-Encoding", "br").withBody("v2"))); // (WireMock gzips bodies without one)
        RawHttp.Response stale = get("/swr", "Accept-Encoding: br,gzip");
        assertEquals("v1", stale.text(), "stale, served while revalidated");
        awaitOriginRequests(2);
        RawHttp.Response refreshed = get("/swr", "Accept-Encoding: BR, GZIP");
        for (int i = 0; i < 100 && !"v2".equals(refreshed.text()); i++) {
            Thread.sleep(20); // the background revalidation stores v2 after its request was logged
            refreshed = get("/swr", "Accept-Encoding: BR, GZIP");
        }
        assertEquals("v2", refreshed.text(), "the refreshed response replaced the shared variant");
        assertTrue(status(refreshed).hit());
        for (LoggedRequest r : origin.findAll(getRequestedFor(urlEqualTo("/swr")))) {
            assertEquals("br, gzip", r.getHeader("Accept-Encoding"));
        }
        assertEquals(2, origin.findAll(getRequestedFor(urlEqualTo("/swr"))).size());
    }

    @Test
    void anAcceptEncodingNamedInConnectionIsNotForwarded() throws Exception {
        get("/page", "Accept-Encoding: gzip, br", "Connection: Accept-Encoding");
        assertEquals(List.of("(absent)"), originSaw(), "RFC 9110 §7.6.1: a field named in Connection ends here");
    }

    @Test
    void withNormaliseFalseTheClientsFieldIsForwardedAndKeyedAsItIs() throws Exception {
        edge.stop(Duration.ofMillis(100));
        edge = startEdge(edgeYaml() + "  accept-encoding:\n    normalise: false\n");
        get("/page", "Accept-Encoding: br, gzip");
        get("/page", "Accept-Encoding: gzip, deflate, br");
        assertTrue(status(get("/page", "Accept-Encoding: br, gzip")).hit());
        assertEquals(List.of("br, gzip", "gzip, deflate, br"), originSaw(), "one variant per spelling");
    }
}
