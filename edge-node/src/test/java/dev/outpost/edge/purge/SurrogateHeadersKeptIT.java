package dev.outpost.edge.purge;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.client.WireMock;
import dev.outpost.edge.testing.CacheStatusEntry;
import dev.outpost.edge.testing.EdgeTestBase;
import dev.outpost.edge.testing.RawHttp;
import org.junit.jupiter.api.Test;

/**
 * Issue 4: tag headers "are removed before responses leave the edge unless config says otherwise":
 * with {@code cache.strip-surrogate-headers: false} Surrogate-Key, Cache-Tag and Cache-Groups reach
 * clients, on misses and hits alike, and tag purges still use them.
 */
class SurrogateHeadersKeptIT extends EdgeTestBase {

    @Override
    protected String edgeYaml() {
        String yaml = PurgeEndpointIT.withToken(super.edgeYaml());
        String cache = "cache:\n";
        assertTrue(yaml.contains(cache));
        return yaml.replace(cache, cache + "  strip-surrogate-headers: false\n");
    }

    private void tagged(String path, String name, String value) {
        origin.stubFor(WireMock.get(path).willReturn(aResponse().withHeader("Cache-Control", "max-age=600")
                .withHeader(name, value).withBody("body of " + path)));
    }

    @Test
    void tagHeadersReachClientsWhenConfigSaysSo() throws Exception {
        tagged("/sk", "Surrogate-Key", "product-1 shelf");
        tagged("/ct", "Cache-Tag", "shelf,product-2");
        tagged("/cg", "Cache-Groups", "\"shelf\"");
        String[][] cases = {{"/sk", "Surrogate-Key", "product-1 shelf"}, {"/ct", "Cache-Tag", "shelf,product-2"},
            {"/cg", "Cache-Groups", "\"shelf\""}};
        for (String[] c : cases) {
            RawHttp.Response miss = get(c[0]);
            assertEquals(c[2], miss.header(c[1]), c[0] + " on the miss");
            RawHttp.Response hit = get(c[0]);
            for (int i = 0; i < 50 && !CacheStatusEntry.parse(ourCacheStatus(hit)).hit(); i++) {
                Thread.sleep(20); // the fill's commit may still be running when the client has the body
                hit = get(c[0]);
            }
            assertTrue(CacheStatusEntry.parse(ourCacheStatus(hit)).hit(), c[0] + " is cached");
            assertEquals(c[2], hit.header(c[1]), c[0] + " on the hit");
        }
        assertEquals(3, PurgeEndpointIT.purgeOk(edge.adminPort(), "{\"type\":\"tag\",\"values\":[\"shelf\"]}"));
        for (String[] c : cases) {
            assertFalse(CacheStatusEntry.parse(ourCacheStatus(get(c[0]))).hit(), c[0] + " purged by its tag");
        }
    }
}
