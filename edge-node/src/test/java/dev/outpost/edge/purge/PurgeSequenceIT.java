package dev.outpost.edge.purge;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.github.tomakehurst.wiremock.client.WireMock;
import dev.outpost.edge.testing.CacheStatusEntry;
import dev.outpost.edge.testing.EdgeTestBase;
import dev.outpost.edge.testing.RawHttp;
import dev.outpost.edge.testing.ScriptedFeed;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Sequenced purges on a memory-only edge against a scripted catch-up feed (docs/purge-protocol.md):
 * idempotence, order, gaps, catch-up, polling, retries and whole-cache drops.
 */
class PurgeSequenceIT extends EdgeTestBase {

    private final ScriptedFeed feed = new ScriptedFeed();
    /**
     * Long by default, so that a test's own pushes and their answers are not raced by a poll; tests of
     * polling shorten it and restart the edge.
     */
    private String pollInterval = "30s";

    @Override
    protected String edgeYaml() {
        return PurgeEndpointIT.withToken(super.edgeYaml()) + feed.purgeYaml("  poll-interval: " + pollInterval + "\n");
    }

    @AfterEach
    void stopFeed() {
        feed.close();
    }

    // ---------------------------------------------------------------- helpers

    private JsonObject push(String json) throws IOException {
        RawHttp.Response r = PurgeEndpointIT.post(edge.adminPort(), "application/json", json,
                "Authorization: Bearer " + PurgeEndpointIT.TOKEN);
        assertEquals(200, r.status(), r.text());
        return new JsonObject(r.text());
    }

    /** Logs purge {@code sequence} in the feed (as purge-api does before pushing) and pushes it. */
    private JsonObject pushUrl(String path, long sequence) throws IOException {
        if (sequence > feed.last()) {
            feed.append(ScriptedFeed.urlEntry(sequence, path, false));
        }
        return pushScripted(path, sequence);
    }

    /** Pushes purge {@code sequence} as it is; the test scripted the feed. */
    private JsonObject pushScripted(String path, long sequence) throws IOException {
        return push("{\"type\":\"url\",\"values\":[\"http://site.example" + path + "\"],\"sequence\":" + sequence
                + ",\"id\":\"p-" + sequence + "\"}");
    }

    JsonObject state() throws IOException {
        RawHttp.Response r = RawHttp.get(edge.adminPort(), "127.0.0.1", "/purge/state",
                "Authorization: Bearer " + PurgeEndpointIT.TOKEN);
        assertEquals(200, r.status(), r.text());
        return new JsonObject(r.text());
    }

    private void awaitLastApplied(long sequence) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (state().getLong("lastApplied") != sequence && System.nanoTime() < deadline) {
            Thread.sleep(25);
        }
        assertEquals(sequence, state().getLong("lastApplied"), "background catch-up reached " + sequence);
    }

    private void cacheable(String path) {
        origin.stubFor(WireMock.get(path).willReturn(aResponse().withHeader("Cache-Control", "max-age=600")
                .withBody("body of " + path)));
    }

    private CacheStatusEntry status(String path) throws IOException {
        return CacheStatusEntry.parse(ourCacheStatus(get(path)));
    }

    private void warm(String... paths) throws Exception {
        for (String p : paths) {
            cacheable(p);
            get(p);
            for (int i = 0; i < 50 && !status(p).hit(); i++) {
                Thread.sleep(20);
            }
            assertTrue(status(p).hit(), p + " is cached");
        }
    }

    private int originCount(String path) {
        return origin.countRequestsMatching(getRequestedFor(urlEqualTo(path)).build()).getCount();
    }

    private void assertPurged(String path) throws IOException {
        int before = originCount(path);
        assertFalse(status(path).hit(), path + " was purged");
        assertEquals(before + 1, originCount(path));
    }

    private String metrics() throws IOException {
        return RawHttp.get(edge.adminPort(), "127.0.0.1", "/metrics").text();
    }

    private void restartEdge() throws Exception {
        edge.stop(Duration.ofMillis(100));
        edge = startEdge(edgeYaml());
    }

    // ---------------------------------------------------------------- tests

    @Test
    void aMemoryOnlyEdgeReadsTheBoundsOnceAndStartsFromTheLast() throws Exception {
        assertEquals(1, java.util.Collections.frequency(feed.limits(), "0"), "one bounds read (limit=0): "
                + feed.limits());
        feed.log(1, 41, List.of(), 1000);
        restartEdge();
        JsonObject s = state();
        assertEquals("edge-test-1", s.getString("node"));
        assertEquals(41, s.getLong("lastApplied"));
        assertTrue(s.getBoolean("caughtUp"));
        assertTrue(metrics().contains("outpost_purge_last_applied{node=\"edge-test-1\",region=\"test\"} 41.0"),
                "gauge outpost.purge.last.applied");
        assertEquals(200, RawHttp.get(edge.adminPort(), "127.0.0.1", "/readyz").status());
    }

    @Test
    void sequencedPushesApplyOnceAndManualPurgesLeaveTheSequenceAlone() throws Exception {
        warm("/a", "/b");
        JsonObject first = pushUrl("/a", 1);
        assertEquals(1, first.getInteger("purged"));
        assertEquals(1, first.getLong("sequence"));
        assertEquals(1, first.getLong("lastApplied"));
        assertPurged("/a");

        warm("/a");
        JsonObject again = pushUrl("/a", 1);
        assertEquals(0, again.getInteger("purged"), "sequence <= lastApplied: nothing is done");
        assertEquals(1, again.getLong("lastApplied"));
        assertTrue(status("/a").hit(), "a repeated push does not purge again");

        JsonObject manual = push("{\"type\":\"url\",\"values\":[\"http://site.example/b\"]}");
        assertEquals(1, manual.getInteger("purged"));
        assertTrue(manual.containsKey("sequence") && manual.getValue("sequence") == null);
        assertEquals(1, manual.getLong("lastApplied"), "a manual purge leaves lastApplied alone");
        assertPurged("/b");

        assertEquals(2, pushUrl("/a", 2).getLong("lastApplied"));
        JsonObject s = state();
        assertEquals(2, s.getLong("lastApplied"));
        assertTrue(s.getBoolean("caughtUp"));
        assertEquals(401, RawHttp.get(edge.adminPort(), "127.0.0.1", "/purge/state").status());
    }

    @Test
    void aGapIsFilledFromTheFeedInOrderBeforeThePushIsAnswered() throws Exception {
        warm("/a", "/b", "/c", "/d");
        feed.log(1, 3, List.of(ScriptedFeed.urlEntry(1, "/a", false), ScriptedFeed.urlEntry(2, "/b", false),
                ScriptedFeed.urlEntry(3, "/c", false)), 2);
        JsonObject r = pushScripted("/c", 3);
        assertEquals(3, r.getLong("lastApplied"), "caught up before answering");
        assertEquals(1, r.getInteger("purged"), "what purge #3 removed");
        assertTrue(feed.afters().containsAll(List.of("0", "2")), "paged: after=0, then after=2: " + feed.afters());
        assertPurged("/a");
        assertPurged("/b");
        assertPurged("/c");
        assertTrue(status("/d").hit());
        assertTrue(state().getBoolean("caughtUp"));
    }

    @Test
    void aGapWhileTheFeedIsDownIsAppliedAnywayAndCaughtUpInTheBackground() throws Exception {
        warm("/a", "/b");
        feed.down(503);
        JsonObject r = pushScripted("/b", 2);
        assertEquals(1, r.getInteger("purged"), "the pushed purge is applied anyway");
        assertEquals(0, r.getLong("lastApplied"), "the gap stays open");
        assertFalse(state().getBoolean("caughtUp"));
        assertPurged("/b");
        assertFalse(status("/a").hit(), "memory objects from before the open gap are revalidated first");

        feed.log(1, 2, List.of(ScriptedFeed.urlEntry(1, "/a", false), ScriptedFeed.urlEntry(2, "/b", false)), 1000);
        awaitLastApplied(2);
        assertTrue(state().getBoolean("caughtUp"));
        assertPurged("/a");
        String m = metrics();
        assertTrue(m.matches("(?s).*outpost_purge_catchups_total\\{[^}]*result=\"failure\"[^}]*} [1-9].*"), m);
        assertTrue(m.matches("(?s).*outpost_purge_catchups_total\\{[^}]*result=\"success\"[^}]*} [1-9].*"), m);
        assertTrue(m.matches("(?s).*outpost_purge_catchup_entries_total\\{[^}]*} [1-9].*"), m);
    }

    @Test
    void pollingNoticesAPushThatNeverArrived() throws Exception {
        pollInterval = "300ms";
        restartEdge();
        warm("/a");
        feed.log(1, 1, List.of(ScriptedFeed.urlEntry(1, "/a", true)), 1000);
        awaitLastApplied(1);
        CacheStatusEntry s = status("/a");
        assertEquals("stale", s.fwd(), "soft purge from the feed: revalidated, " + s);
    }

    /** What a test does while the sequencer's log lines are collected. */
    private interface WithLogLines {
        void run(ListAppender<ILoggingEvent> lines) throws Exception;
    }

    private static void collectingSequencerLog(WithLogLines test) throws Exception {
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        Logger log = (Logger) LoggerFactory.getLogger(PurgeSequencer.class);
        lines.start();
        log.addAppender(lines);
        try {
            test.run(lines);
        } finally {
            log.detachAppender(lines);
        }
    }

    @Test
    void aLogThatNoLongerReachesBackDropsTheWholeCache() throws Exception {
        collectingSequencerLog(this::aLogThatNoLongerReachesBack);
    }

    private void aLogThatNoLongerReachesBack(ListAppender<ILoggingEvent> lines) throws Exception {
        warm("/a", "/b");
        feed.log(5, 6, List.of(ScriptedFeed.urlEntry(5, "/x", false), ScriptedFeed.urlEntry(6, "/y", false)), 1000);
        JsonObject r = pushScripted("/y", 6);
        assertEquals(6, r.getLong("lastApplied"));
        assertPurged("/a");
        assertPurged("/b");
        assertTrue(metrics().matches("(?s).*outpost_purge_cache_drops_total\\{[^}]*reason=\"log-truncated\"[^}]*} 1\\.0.*"));
        List<ILoggingEvent> drops = lines.list.stream().filter(e -> e.getLevel() == Level.WARN
                && e.getFormattedMessage().startsWith("dropping the whole cache")).toList();
        assertEquals(1, drops.size(), "one WARN line says the cache was dropped: " + lines.list);
        assertTrue(drops.get(0).getFormattedMessage().contains("the purge log starts at 5 but this edge applied only"
                + " up to 0: purges 1..4 are no longer retained"), drops.get(0).getFormattedMessage());

        pollInterval = "300ms";
        restartEdge(); // a memory-only edge starts at the log's last: 6
        assertEquals(6, state().getLong("lastApplied"));
        warm("/a");
        feed.log(1, 2, List.of(), 1000); // the purge-api's log was replaced: sequences start again
        awaitLastApplied(2);
        assertPurged("/a");
        assertTrue(metrics().matches("(?s).*outpost_purge_cache_drops_total\\{[^}]*reason=\"log-replaced\"[^}]*} 1\\.0.*"));
        assertTrue(state().getBoolean("caughtUp"));
        assertTrue(List.copyOf(lines.list).stream().anyMatch(e -> e.getLevel() == Level.WARN
                && e.getFormattedMessage().startsWith("dropping the whole cache")
                && e.getFormattedMessage().contains("the purge log's last sequence is 2 but this edge applied up to 6"
                        + " (the purge-api's log was replaced)")), "the second drop is logged too: " + lines.list);
    }

    @Test
    void aFeedEntryThisEdgeCannotReadDropsTheCacheInsteadOfStoppingTheCatchUp() throws Exception {
        collectingSequencerLog(lines -> {
            warm("/a", "/b");
            // #2 comes from a newer purge-api (a type this edge does not know): it cannot be applied as it was
            // meant, and stopping at it would leave this edge behind for good
            feed.log(1, 3, List.of(ScriptedFeed.urlEntry(1, "/x", false), ScriptedFeed.entry(2, "regex", false, "/b.*"),
                    ScriptedFeed.urlEntry(3, "/y", false)), 1000);
            JsonObject r = pushScripted("/y", 3);
            assertEquals(3, r.getLong("lastApplied"), r.encode());
            assertTrue(state().getBoolean("caughtUp"));
            assertPurged("/a");
            assertPurged("/b");
            assertTrue(metrics().matches("(?s).*outpost_purge_cache_drops_total\\{[^}]*reason=\"unreadable-entry\"[^}]*} 1\\.0.*"));
            assertTrue(List.copyOf(lines.list).stream().anyMatch(e -> e.getLevel() == Level.WARN
                    && e.getFormattedMessage().startsWith("dropping the whole cache")
                    && e.getFormattedMessage().contains("purge #2 in the purge log cannot be read by this edge"
                            + " (type: unknown type 'regex'")), "the drop names the entry and why: " + lines.list);
        });
    }

    @Test
    void aFeedEntryWhoseSequenceCannotBeReadIsAFailedRead() throws Exception {
        warm("/a");
        JsonObject badSequence = ScriptedFeed.entry(1, "regex", false, "/a").put("sequence", 1.5);
        feed.log(1, 1, List.of(badSequence), 1000);
        JsonObject r = push("{\"type\":\"url\",\"values\":[\"http://site.example/z\"],\"sequence\":2}");
        assertEquals(0, r.getLong("lastApplied"), "nothing is known of #1: " + r.encode());
        assertFalse(state().getBoolean("caughtUp"));
        assertTrue(metrics().matches("(?s).*outpost_purge_catchups_total\\{[^}]*result=\"failure\"[^}]*} [1-9].*"));
    }

    @Test
    void badSequenceAndIdAreRejectedNamingTheField() throws IOException {
        for (String[] c : new String[][] {
            {"{\"type\":\"all\",\"sequence\":0}", "sequence"},
            {"{\"type\":\"all\",\"sequence\":-3}", "sequence"},
            {"{\"type\":\"all\",\"sequence\":1.5}", "sequence"},
            {"{\"type\":\"all\",\"sequence\":\"7\"}", "sequence"},
            {"{\"type\":\"all\",\"id\":7}", "id"},
            {"{\"type\":\"all\",\"id\":\"" + "x".repeat(201) + "\"}", "id"},
        }) {
            RawHttp.Response r = PurgeEndpointIT.post(edge.adminPort(), "application/json", c[0],
                    "Authorization: Bearer " + PurgeEndpointIT.TOKEN);
            assertEquals(400, r.status(), c[0]);
            assertTrue(new JsonObject(r.text()).getString("error").startsWith(c[1] + ":"), r.text());
        }
    }
}
