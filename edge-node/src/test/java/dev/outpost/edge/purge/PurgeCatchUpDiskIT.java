package dev.outpost.edge.purge;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.client.WireMock;
import dev.outpost.edge.cache.CacheKey;
import dev.outpost.edge.testing.CacheStatusEntry;
import dev.outpost.edge.testing.EdgeProcesses;
import dev.outpost.edge.testing.EdgeTestBase;
import dev.outpost.edge.testing.RawHttp;
import dev.outpost.edge.testing.ScriptedFeed;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * An edge with a disk tier restarted after missing purges (docs/purge-protocol.md "Edge start-up and
 * readiness", ARCHITECTURE §4): until it has caught up from the feed its disk tier is neither read nor
 * written and /readyz answers 503 with the reason; purged objects are never served, not even once.
 * Bodies are larger than the memory tier's object limit, so they live on disk only.
 */
class PurgeCatchUpDiskIT extends EdgeTestBase {

    private final ScriptedFeed feed = new ScriptedFeed();
    private Path diskDir;
    /** Extra lines of the purge section (startup-grace), or another api-url. */
    private String purgeSection;

    @Override
    protected String edgeYaml() {
        if (diskDir == null) {
            diskDir = diskDir("outpost-catchup-it");
        }
        String purge = purgeSection != null ? purgeSection : feed.purgeYaml("  poll-interval: 300ms\n");
        return PurgeEndpointIT.withToken(withDiskTier(super.edgeYaml(), diskDir, "64KiB")) + purge;
    }

    @AfterEach
    void stopFeed() {
        feed.close();
    }

    // ---------------------------------------------------------------- helpers

    private static byte[] body(String version, String path) {
        byte[] b = new byte[100_000];
        Arrays.fill(b, (byte) (version + path).hashCode());
        byte[] label = (version + " " + path).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        System.arraycopy(label, 0, b, 0, label.length);
        return b;
    }

    /** The origin serves {@code version} of each path from now on. */
    private void originServes(String version, String... paths) {
        for (String p : paths) {
            origin.stubFor(WireMock.get(p).willReturn(aResponse().withHeader("Cache-Control", "max-age=600")
                    .withHeader("ETag", "\"" + version + "\"").withBody(body(version, p))));
        }
    }

    private static String version(RawHttp.Response r) {
        return new String(r.body(), 0, 3, java.nio.charset.StandardCharsets.US_ASCII);
    }

    private CacheStatusEntry status(RawHttp.Response r) {
        return CacheStatusEntry.parse(ourCacheStatus(r));
    }

    private void warmOnDisk(String... paths) throws Exception {
        for (String p : paths) {
            get(p);
            for (int i = 0; i < 100 && !status(get(p)).hit(); i++) {
                Thread.sleep(20);
            }
            RawHttp.Response r = get(p);
            assertTrue(status(r).hit() && "disk".equals(status(r).detail()), p + ": " + status(r));
        }
    }

    private boolean onDisk(String path) {
        return !edge.disk().lookup(new CacheKey(HOST, path)).join().isEmpty();
    }

    private RawHttp.Response readyz() throws IOException {
        return RawHttp.get(edge.adminPort(), "127.0.0.1", "/readyz");
    }

    /** Polls /readyz, which must answer 503 throughout, until its reason mentions {@code text}. */
    private String notReadyReason(String text) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            RawHttp.Response r = readyz();
            assertEquals(503, r.status(), r.text());
            String reason = new JsonObject(r.text()).getString("reason");
            if (reason.contains(text) || System.nanoTime() > deadline) {
                assertTrue(reason.contains(text), reason);
                return reason;
            }
            Thread.sleep(20);
        }
    }

    private void awaitReady() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (readyz().status() != 200 && System.nanoTime() < deadline) {
            Thread.sleep(25);
        }
        assertEquals(200, readyz().status(), readyz().text());
    }

    /** Logs purge {@code sequence} in the feed and pushes it, as purge-api does. */
    private void push(long sequence, String path) throws IOException {
        feed.append(ScriptedFeed.urlEntry(sequence, path, false));
        RawHttp.Response r = PurgeEndpointIT.post(edge.adminPort(), "application/json",
                "{\"type\":\"url\",\"values\":[\"http://site.example" + path + "\"],\"sequence\":" + sequence + "}",
                "Authorization: Bearer " + PurgeEndpointIT.TOKEN);
        assertEquals(200, r.status(), r.text());
    }

    private JsonObject state() throws IOException {
        return new JsonObject(RawHttp.get(edge.adminPort(), "127.0.0.1", "/purge/state",
                "Authorization: Bearer " + PurgeEndpointIT.TOKEN).text());
    }

    private void stopEdge() {
        edge.stop(Duration.ofMillis(200));
        edge = null;
    }

    /** Starts the edge without waiting for readiness (its start completes once the ports are bound). */
    private void startEdgeAgain() throws Exception {
        edge = startEdge(edgeYaml());
    }

    // ---------------------------------------------------------------- tests

    @Test
    void purgesMissedWhileDownAreAppliedBeforeTheDiskTierIsUsedAgain() throws Exception {
        originServes("old", "/gone", "/tagged", "/kept", "/kept2");
        origin.stubFor(WireMock.get("/tagged").willReturn(aResponse().withHeader("Cache-Control", "max-age=600")
                .withHeader("Surrogate-Key", "sale").withBody(body("old", "/tagged"))));
        warmOnDisk("/gone", "/tagged", "/kept", "/kept2");
        push(1, "/unrelated");
        stopEdge();

        // while the edge is down: two purges are logged, the origin changes, and purge-api is unreachable
        feed.down(503);
        originServes("new", "/gone", "/tagged", "/kept", "/kept2");
        startEdgeAgain();

        String reason = notReadyReason("503"); // once the first attempt failed, the reason says how
        assertTrue(reason.contains("catching up on purges") && reason.contains("after sequence 1"), reason);
        RawHttp.Response gone = get("/gone");
        assertEquals("new", version(gone), "the disk copy may be purged: the origin answers");
        assertFalse(status(gone).hit());
        RawHttp.Response kept = get("/kept");
        assertEquals("new", version(kept), "no disk hits before the catch-up, purged or not");
        assertFalse(state().getBoolean("caughtUp"));

        feed.log(1, 3, List.of(ScriptedFeed.urlEntry(2, "/gone", false),
                ScriptedFeed.entry(3, "tag", false, "sale")), 1000);
        awaitReady();
        assertEquals(3, state().getLong("lastApplied"));
        assertTrue(state().getBoolean("caughtUp"));
        assertTrue(feed.afters().contains("1"), "caught up after the persisted sequence: " + feed.afters());
        assertFalse(onDisk("/gone"), "purged from the disk tier during the catch-up");
        assertFalse(onDisk("/tagged"), "tag purge through the disk tier's index");
        RawHttp.Response kept2 = get("/kept2");
        assertEquals("old", version(kept2), "an object no purge touched");
        assertTrue(status(kept2).hit() && "disk".equals(status(kept2).detail()), "disk hits resume: " + status(kept2));
        assertNotEquals("old", version(get("/gone")));
        assertNotEquals("old", version(get("/tagged")));
    }

    @Test
    void withAStartupGraceTheEdgeServesFromMemoryWhileTheDiskStaysFenced() throws Exception {
        originServes("old", "/k", "/k2");
        warmOnDisk("/k", "/k2");
        push(1, "/unrelated");
        stopEdge();

        purgeSection = feed.purgeYaml("  poll-interval: 300ms\n  startup-grace: 1s\n");
        feed.down(503);
        startEdgeAgain();
        assertEquals(503, readyz().status());
        awaitReady(); // after the grace
        assertFalse(state().getBoolean("caughtUp"));
        RawHttp.Response k = get("/k");
        assertFalse(status(k).hit(), "ready, but the disk tier is still fenced: " + status(k));

        feed.log(1, 1, List.of(), 1000);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!state().getBoolean("caughtUp") && System.nanoTime() < deadline) {
            Thread.sleep(25);
        }
        assertTrue(state().getBoolean("caughtUp"));
        RawHttp.Response k2 = get("/k2");
        assertTrue(status(k2).hit() && "disk".equals(status(k2).detail()), "caught up: disk hits " + status(k2));
    }

    @Test
    void purgeApiUnreachableWithoutGraceKeepsTheEdgeUnready() throws Exception {
        originServes("old", "/k");
        warmOnDisk("/k");
        push(1, "/unrelated");
        stopEdge();

        purgeSection = "purge:\n  api-url: http://127.0.0.1:" + EdgeProcesses.freePort() + "\n  api-token: t\n"
                + "  poll-interval: 200ms\n";
        startEdgeAgain();
        notReadyReason("cannot be read");
        Thread.sleep(1000); // several retries
        assertEquals(503, readyz().status());
        assertFalse(status(get("/k")).hit(), "the disk tier stays fenced");
        assertTrue(onDisk("/k"), "fenced, not dropped: it is used once caught up");
    }

    @Test
    void aLogThatNoLongerReachesBackDropsTheDiskTierForGood() throws Exception {
        originServes("old", "/a", "/b");
        warmOnDisk("/a", "/b");
        push(1, "/unrelated");
        stopEdge();

        feed.log(10, 12, List.of(ScriptedFeed.urlEntry(10, "/x", false), ScriptedFeed.urlEntry(11, "/y", false),
                ScriptedFeed.urlEntry(12, "/z", false)), 1000);
        startEdgeAgain();
        awaitReady();
        assertEquals(12, state().getLong("lastApplied"));
        assertFalse(onDisk("/a"));
        assertFalse(onDisk("/b"));
        stopEdge();
        startEdgeAgain();
        awaitReady();
        assertFalse(onDisk("/a"), "the dropped generation stays dropped after a restart");
        assertTrue(feed.afters().contains("12"), "the next start catches up after 12: " + feed.afters());
    }

    /**
     * Issue 4: "whenever it sees a gap in sequences, the edge pulls the missed purges ... and applies them
     * before /readyz turns 200 and before it serves anything from its disk tier" — also while running.
     */
    @Test
    void aGapSeenWhileRunningFencesTheDiskTierAndReadinessUntilTheCatchUpFillsIt() throws Exception {
        awaitReady();
        originServes("old", "/d");
        origin.stubFor(WireMock.get("/m").willReturn(aResponse().withHeader("Cache-Control", "max-age=600")
                .withBody("small, in memory")));
        warmOnDisk("/d");
        get("/m");
        assertTrue(status(get("/m")).hit());
        push(1, "/unrelated");
        assertEquals(1, state().getLong("lastApplied"));

        feed.down(503); // purge #2 is logged but its push is lost, and the feed cannot be read
        RawHttp.Response pushed = PurgeEndpointIT.post(edge.adminPort(), "application/json",
                "{\"type\":\"url\",\"values\":[\"http://site.example/other\"],\"sequence\":3}",
                "Authorization: Bearer " + PurgeEndpointIT.TOKEN);
        assertEquals(200, pushed.status(), pushed.text());
        assertEquals(1, new JsonObject(pushed.text()).getLong("lastApplied"), "the gap stays open");

        String reason = notReadyReason("gap");
        assertTrue(reason.contains("#3") && reason.contains("#2..#2") && reason.contains("503"), reason);
        RawHttp.Response d = get("/d");
        assertFalse(status(d).hit(), "no disk hit while the gap is open: " + status(d));
        assertTrue(onDisk("/d"), "fenced, not dropped");
        assertFalse(status(get("/m")).hit(), "memory objects from before the gap are revalidated first");

        feed.log(1, 3, List.of(ScriptedFeed.urlEntry(2, "/x", false), ScriptedFeed.urlEntry(3, "/other", false)),
                1000);
        awaitReady();
        assertEquals(3, state().getLong("lastApplied"));
        assertTrue(state().getBoolean("caughtUp"));
        RawHttp.Response again = get("/d");
        assertTrue(status(again).hit() && "disk".equals(status(again).detail()), "disk hits again: " + status(again));
    }
}
