package dev.outpost.purge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.outpost.config.PurgeLimitsConfig;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The body rules of POST /v1/purges (ARCHITECTURE §5), at least as strict as the edge's POST /purge. */
class PurgeRequestsTest {

    private final PurgeRequests requests = new PurgeRequests(new PurgeLimitsConfig(64 * 1024, 3, 40,
            Duration.ofSeconds(10)));

    private PurgeCommand ok(String json) throws BadRequest {
        return requests.parse(new JsonObject(json));
    }

    private BadRequest bad(String json) {
        return assertThrows(BadRequest.class, () -> ok(json));
    }

    private void assertBad(String json, String field, String text) {
        BadRequest e = bad(json);
        assertEquals(field, e.field(), e.getMessage());
        assertTrue(e.getMessage().startsWith(field + ": ") && e.getMessage().contains(text), e.getMessage());
    }

    @Test
    void eachVerb() throws BadRequest {
        assertEquals(new PurgeCommand(PurgeType.URL, List.of("http://site.example/a?b=1"), null, false),
                ok("{\"type\":\"url\",\"values\":[\"http://site.example/a?b=1\"]}"));
        assertEquals(new PurgeCommand(PurgeType.PREFIX, List.of("https://site.example/img/"), null, true),
                ok("{\"type\":\"prefix\",\"values\":[\"https://site.example/img/\"],\"soft\":true}"));
        assertEquals(new PurgeCommand(PurgeType.TAG, List.of("products", "a b"), "site.example:8443", false),
                ok("{\"type\":\"tag\",\"values\":[\"products\",\"a b\"],\"host\":\"site.example:8443\"}"));
        assertEquals(new PurgeCommand(PurgeType.ALL, List.of(), null, false), ok("{\"type\":\"all\"}"));
        assertEquals(new PurgeCommand(PurgeType.ALL, List.of(), "[::1]:8080", true),
                ok("{\"type\":\"all\",\"values\":[],\"host\":\"[::1]:8080\",\"soft\":true}"));
    }

    @Test
    void typeIsRequiredAndKnown() {
        assertBad("{\"values\":[\"x\"]}", "type", "required");
        assertBad("{\"type\":\"everything\"}", "type", "unknown type 'everything'");
        assertBad("{\"type\":7}", "type", "required, one of url, prefix, tag, all");
    }

    @Test
    void unknownFieldsAndBadSoftAreNamed() {
        assertBad("{\"type\":\"all\",\"sequence\":4}", "sequence", "unknown field");
        assertBad("{\"type\":\"all\",\"soft\":\"yes\"}", "soft", "true or false");
    }

    @Test
    void allTakesNoValues() {
        assertBad("{\"type\":\"all\",\"values\":[\"http://a.example/\"]}", "values", "must be absent for type all");
    }

    @Test
    void valuesAreRequiredNonEmptyStringsWithinTheLimits() {
        assertBad("{\"type\":\"tag\"}", "values", "required for type tag");
        assertBad("{\"type\":\"tag\",\"values\":\"a\"}", "values", "array of strings");
        assertBad("{\"type\":\"tag\",\"values\":[]}", "values", "must not be empty");
        assertBad("{\"type\":\"tag\",\"values\":[\"a\",\"b\",\"c\",\"d\"]}", "values", "at most 3 values per purge, got 4");
        assertBad("{\"type\":\"tag\",\"values\":[\"a\",\" \"]}", "values[1]", "non-empty string");
        assertBad("{\"type\":\"tag\",\"values\":[\"a\",5]}", "values[1]", "non-empty string");
        assertBad("{\"type\":\"tag\",\"values\":[\"" + "x".repeat(41) + "\"]}", "values[0]", "longer than 40");
    }

    @Test
    void urlAndPrefixValuesAreAbsoluteHttpUrls() {
        assertBad("{\"type\":\"url\",\"values\":[\"/relative\"]}", "values[0]", "absolute http(s) URL");
        assertBad("{\"type\":\"prefix\",\"values\":[\"http://ok.example/\",\"ftp://a.example/x\"]}", "values[1]",
                "absolute http(s) URL");
        assertBad("{\"type\":\"url\",\"values\":[\"http://a.example/a b\"]}", "values[0]", "not a valid URL");
        assertBad("{\"type\":\"url\",\"values\":[\"http:///nohost\"]}", "values[0]", "absolute http(s) URL");
    }

    @Test
    void hostNarrowsTagAndAllOnlyUrlsCarryTheirOwn() throws BadRequest {
        assertBad("{\"type\":\"url\",\"values\":[\"http://site.example/a\"],\"host\":\"site.example\"}", "host",
                "only with type tag or all");
        assertBad("{\"type\":\"prefix\",\"values\":[\"http://site.example/\"],\"host\":\"site.example\"}", "host",
                "only with type tag or all");
        assertBad("{\"type\":\"tag\",\"values\":[\"a\"],\"host\":\"site.example/path\"}", "host", "host name");
        assertBad("{\"type\":\"all\",\"host\":\"\"}", "host", "host name");
        assertEquals("site.example", ok("{\"type\":\"all\",\"host\":\"site.example\"}").host());
        assertNull(ok("{\"type\":\"all\"}").host());
    }
}
