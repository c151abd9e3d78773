package dev.outpost.edge.proxy;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.outpost.edge.metrics.EdgeMetrics;
import java.io.IOException;
import java.io.StringWriter;
import java.time.Instant;
import org.slf4j.Logger;

/** One JSON line per request on the {@code outpost.access} logger (when enabled in config). */
final class AccessLog {

    private static final JsonFactory JSON = new JsonFactory();

    private AccessLog() {
    }

    static void write(Logger log, String client, String method, String host, String uri, int status,
            int originStatus, String cacheStatus, long bytes, double millis, EdgeMetrics.Outcome outcome) {
        if (!log.isInfoEnabled()) {
            return;
        }
        StringWriter out = new StringWriter(256);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("time", Instant.now().toString());
            g.writeStringField("client", client);
            g.writeStringField("method", method);
            g.writeStringField("host", host);
            g.writeStringField("uri", uri);
            g.writeNumberField("status", status);
            if (originStatus > 0) {
                g.writeNumberField("origin_status", originStatus);
            }
            g.writeStringField("cache", outcome.name().toLowerCase(java.util.Locale.ROOT));
            g.writeStringField("cache_status", cacheStatus);
            g.writeNumberField("bytes", bytes);
            g.writeNumberField("duration_ms", Math.round(millis * 1000) / 1000.0);
            g.writeEndObject();
        } catch (IOException e) {
            return;
        }
        log.info(out.toString());
    }
}
