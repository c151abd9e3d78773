package dev.outpost.edge.proxy;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.client.WireMock;
import dev.outpost.edge.testing.EdgeTestBase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The optional JSON access log: one object per request with cache status, origin status and timing. */
class AccessLogIT extends EdgeTestBase {

    private final ListAppender<ILoggingEvent> lines = new ListAppender<>();
    private final Logger access = (Logger) LoggerFactory.getLogger("outpost.access");

    @Override
    protected String edgeYaml() {
        return super.edgeYaml() + "access-log:\n  enabled: true\n";
    }

    @BeforeEach
    void capture() {
        lines.start();
        access.addAppender(lines);
    }

    @AfterEach
    void release() {
        access.detachAppender(lines);
    }

    @Test
    void everyRequestIsOneJsonLine() throws Exception {
        origin.stubFor(WireMock.get("/a").willReturn(aResponse().withHeader("Cache-Control", "max-age=60").withBody("x")));
        get("/a");
        get("/a");
        long deadline = System.currentTimeMillis() + 5000;
        while (lines.list.size() < 2 && System.currentTimeMillis() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(2, lines.list.size());
        ObjectMapper json = new ObjectMapper();
        JsonNode miss = json.readTree(lines.list.get(0).getFormattedMessage());
        JsonNode hit = json.readTree(lines.list.get(1).getFormattedMessage());
        assertEquals("GET", miss.get("method").asText());
        assertEquals("/a", miss.get("uri").asText());
        assertEquals(200, miss.get("status").asInt());
        assertEquals(200, miss.get("origin_status").asInt());
        assertEquals("miss", miss.get("cache").asText());
        assertTrue(miss.get("cache_status").asText().contains("fwd=uri-miss"));
        assertEquals("hit", hit.get("cache").asText());
        assertEquals(1, edge.registry().get("outpost.requests.fast").counter().count(),
                "the hit was answered on the connection (server.fast-memory-hits) and logged the same way");
        assertEquals("127.0.0.1", hit.get("client").asText());
        assertEquals(miss.get("client").asText(), hit.get("client").asText());
        assertEquals("site.example", hit.get("host").asText());
        assertEquals("/a", hit.get("uri").asText());
        assertEquals(200, hit.get("status").asInt());
        assertTrue(hit.get("origin_status") == null, "no origin status for a hit");
        assertTrue(hit.get("cache_status").asText().startsWith("edge-test-1;hit"), hit.toString());
        assertTrue(hit.get("duration_ms").asDouble() >= 0);
        assertEquals(1, hit.get("bytes").asLong());
    }
}
