package dev.outpost.purge.fanout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.outpost.purge.testing.Http;
import dev.outpost.purge.testing.PurgeApiTestBase;
import dev.outpost.purge.testing.ScriptedEdge;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/**
 * The fan-out of a real purge-api against scripted edges (WireMock): order, retries, permanent failures, a dead
 * edge, a slow edge, and a restart that resumes what is owed (ARCHITECTURE §4, docs/purge-protocol.md).
 */
class FanOutIT extends PurgeApiTestBase {

    private static final Duration LIMIT = Duration.ofSeconds(15);

    private static String tag(int i) {
        return "{\"type\":\"tag\",\"values\":[\"t" + i + "\"]}";
    }

    private static String closedPortUrl() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return "http://127.0.0.1:" + s.getLocalPort();
        }
    }

    private JsonObject edgeView(String id) throws Exception {
        for (Object o : get("/v1/edges").json().getJsonArray("edges")) {
            if (((JsonObject) o).getString("id").equals(id)) {
                return (JsonObject) o;
            }
        }
        throw new AssertionError("no edge " + id);
    }

    @Test
    void everyEdgeGetsEveryPurgeInSequenceOrderWithItsToken() throws Exception {
        ScriptedEdge a = scriptedEdge("edge-a");
        ScriptedEdge b = scriptedEdge("edge-b");
        ScriptedEdge c = scriptedEdge("edge-c");
        startApi(yaml("", ""));
        List<String> ids = new ArrayList<>();
        for (int i = 1; i <= 30; i++) {
            ids.add(purge(tag(i)).getString("id"));
        }
        List<Long> expected = LongStream.rangeClosed(1, 30).boxed().toList();
        for (ScriptedEdge e : List.of(a, b, c)) {
            Http.eventually(LIMIT, e.id + " got all", () -> e.pushedSequences().size() == 30);
            assertEquals(expected, e.pushedSequences(), e.id + ": one push per purge, in sequence order");
        }
        JsonObject first = a.pushes().get(0);
        assertEquals(new JsonObject().put("type", "tag").put("values", new JsonArray().add("t1")).put("soft", false)
                .put("sequence", 1).put("id", ids.get(0)), first, "the protocol's push body");
        // pushes without the edge's own token are not answered 200 by the scripted edge: none were needed
        JsonObject status = get("/v1/purges/" + ids.get(29)).json();
        assertEquals("applied", status.getString("status"));
        for (Object o : status.getJsonArray("edges")) {
            JsonObject e = (JsonObject) o;
            assertEquals("applied", e.getString("status"), e.encode());
            assertEquals(1, e.getInteger("attempts"));
            assertEquals("push", e.getString("via"));
            assertNotNull(e.getString("appliedAt"));
        }
        JsonObject view = edgeView("edge-b");
        assertEquals(30, view.getLong("lastApplied"));
        assertEquals(0, view.getLong("lag"));
        assertEquals("up", view.getString("health"));
        assertEquals("test", view.getString("region"));
    }

    @Test
    void retryableFailuresAreRetriedWithBackoffThenApplied() throws Exception {
        ScriptedEdge flaky = scriptedEdge("edge-flaky");
        flaky.failPushes(2, 503);
        startApi(yaml("", ""));
        String id = purge(tag(1)).getString("id");
        Http.eventually(LIMIT, "applied after retries", () -> edgeStatus(id, "edge-flaky").getString("status")
                .equals("applied"));
        JsonObject e = edgeStatus(id, "edge-flaky");
        assertEquals(3, e.getInteger("attempts"));
        assertTrue(e.getString("lastError").startsWith("HTTP 503: scripted failure 2"), e.encode());
        assertEquals(List.of(1L, 1L, 1L), flaky.pushedSequences());
        assertTrue(get("/metrics").body().contains("outpost_purgeapi_push_retries_total{edge=\"edge-flaky\"} 2.0"));
    }

    @Test
    void a4xxIsPermanentAndTheNextPurgeStillGoes() throws Exception {
        ScriptedEdge picky = scriptedEdge("edge-picky");
        picky.answerPushes(400);
        startApi(yaml("", ""));
        String first = purge(tag(1)).getString("id");
        Http.eventually(LIMIT, "refused", () -> edgeStatus(first, "edge-picky").getString("status").equals("failed"));
        picky.applyingWithoutCatchUp(0);
        String second = purge(tag(2)).getString("id");
        Http.eventually(LIMIT, "second applied", () -> edgeStatus(second, "edge-picky").getString("status")
                .equals("applied"));
        JsonObject failed = edgeStatus(first, "edge-picky");
        assertEquals("failed", failed.getString("status"));
        assertEquals(1, failed.getInteger("attempts"), "a 4xx is not retried");
        assertTrue(failed.getString("note").contains("not pushed again"), failed.encode());
        assertEquals(List.of(1L, 2L), picky.pushedSequences());
        assertEquals("failed", get("/v1/purges/" + first).json().getString("status"));
        assertTrue(get("/metrics").body().contains(
                "outpost_purgeapi_push_failures_total{edge=\"edge-picky\",reason=\"rejected\"} 1.0"));
        assertEquals("up", edgeView("edge-picky").getString("health"), "a refused purge says nothing of health");
        assertEquals(1, edgeView("edge-picky").getInteger("failedAbove"));

        picky.state(2); // the edge caught up from the log later
        Http.eventually(LIMIT, "applied through catch-up", () -> edgeStatus(first, "edge-picky").getString("status")
                .equals("applied"));
        assertEquals("catch-up", edgeStatus(first, "edge-picky").getString("via"));
        assertEquals(List.of(1L, 2L), picky.pushedSequences(), "never pushed again");
    }

    @Test
    void timeoutsAnd429AreRetryable() throws Exception {
        ScriptedEdge busy = scriptedEdge("edge-busy");
        busy.failPushes(1, 429);
        ScriptedEdge slow = scriptedEdge("edge-slow");
        slow.slowPushes(1500); // above fanout.timeout (1s): every push times out
        startApi(yaml("", ""));
        String id = purge(tag(1)).getString("id");
        Http.eventually(LIMIT, "edge-busy applied", () -> edgeStatus(id, "edge-busy").getInteger("attempts") == 2
                && edgeStatus(id, "edge-busy").getString("status").equals("applied"));
        Http.eventually(LIMIT, "edge-slow retried", () -> edgeStatus(id, "edge-slow").getInteger("attempts") >= 2);
        JsonObject e = edgeStatus(id, "edge-slow");
        assertTrue(e.getString("lastError").contains("timeout"), e.encode());
    }

    @Test
    void aDeadEdgeDelaysNobodyAndWaitListsIt() throws Exception {
        scriptedEdge("edge-a");
        scriptedEdge("edge-b");
        startApi(yaml(edgeYaml("edge-dead", closedPortUrl(), "t"), ""));
        long t0 = System.nanoTime();
        JsonObject answer = purge("?wait=30s", tag(1));
        long millis = (System.nanoTime() - t0) / 1_000_000;
        assertEquals("pending", answer.getString("status"));
        assertEquals(new JsonArray().add("edge-dead"), answer.getJsonArray("lagging"));
        assertTrue(millis < 20_000, "answered once the live edges applied it, not when the 30 s wait ran out: "
                + millis + "ms");
        String id = answer.getString("id");
        assertEquals("applied", edgeStatus(id, "edge-a").getString("status"));
        assertEquals("applied", edgeStatus(id, "edge-b").getString("status"));
        Http.eventually(LIMIT, "given up after max-attempts", () -> edgeStatus(id, "edge-dead").getString("status")
                .equals("failed"));
        assertEquals(4, edgeStatus(id, "edge-dead").getInteger("attempts"));
        JsonObject dead = edgeView("edge-dead");
        assertEquals("down", dead.getString("health"));
        assertEquals(false, dead.getBoolean("live"));
        assertEquals("parked", dead.getString("delivery"));
        assertEquals(1, dead.getLong("lag"));

        // while parked, new purges cost the dead edge nothing and still reach the others at once
        JsonObject next = purge("?wait=10s", tag(2));
        assertEquals(new JsonArray().add("edge-dead"), next.getJsonArray("lagging"));
        assertEquals("pending", edgeStatus(next.getString("id"), "edge-dead").getString("status"));
        assertEquals(0, edgeStatus(next.getString("id"), "edge-dead").getInteger("attempts"));
    }

    /**
     * An edge seen down before the purge (its first probe failed while it was still starting) is pushed the
     * purge at once, and {@code ?wait} waits for that push's answer instead of the old news.
     */
    @Test
    void waitWaitsForThePushToAnEdgeThatWasDownBeforeThePurge() throws Exception {
        ScriptedEdge starting = scriptedEdge("edge-starting");
        starting.answerState(503);
        startApi(yaml("", "").replace("probe-interval: 200ms", "probe-interval: 1h"));
        Http.eventually(LIMIT, "the first probe saw the edge down", () -> edgeView("edge-starting")
                .getString("health").equals("down"));
        starting.state(0); // up now; the next probe is an hour away
        JsonObject answer = purge("?wait=20s", tag(1));
        assertEquals("applied", answer.getString("status"), answer.encode());
        assertEquals(new JsonArray(), answer.getJsonArray("lagging"));
        assertEquals("up", edgeView("edge-starting").getString("health"));
    }

    @Test
    void whatWasGivenUpIsPushedAgainOnceTheEdgeAnswers() throws Exception {
        ScriptedEdge outage = scriptedEdge("edge-outage");
        outage.answerPushes(503);
        outage.answerState(503);
        startApi(yaml("", ""));
        String first = purge(tag(1)).getString("id");
        Http.eventually(LIMIT, "given up", () -> edgeStatus(first, "edge-outage").getString("status").equals("failed"));
        assertTrue(edgeStatus(first, "edge-outage").getString("note").contains("pushed again once it answers"));
        String second = purge(tag(2)).getString("id");
        assertEquals("parked", edgeView("edge-outage").getString("delivery"));
        outage.server.resetMappings();
        outage.applyingWithoutCatchUp(0); // an edge without a catch-up source: pushes are all it gets
        outage.state(0);
        Http.eventually(LIMIT, "both applied", () -> edgeStatus(first, "edge-outage").getString("status")
                .equals("applied") && edgeStatus(second, "edge-outage").getString("status").equals("applied"));
        assertEquals(5, edgeStatus(first, "edge-outage").getInteger("attempts"), "4 given up, then 1 applied");
        List<Long> pushed = outage.pushedSequences();
        assertEquals(List.of(1L, 2L), pushed.subList(pushed.size() - 2, pushed.size()), "in order: " + pushed);
    }

    @Test
    void anEdgeAheadOfTheLogIsStillPushedTo() throws Exception {
        ScriptedEdge ahead = scriptedEdge("edge-ahead");
        ahead.state(1000); // it applied sequences of a log this purge-api no longer has
        startApi(yaml("", ""));
        Http.eventually(LIMIT, "probed", () -> edgeView("edge-ahead").getString("health").equals("up"));
        assertEquals(0, edgeView("edge-ahead").getLong("lastApplied"), "never beyond the log's last");
        JsonObject answer = purge("?wait=5s", tag(1));
        assertEquals("applied", answer.getString("status"));
        assertEquals(List.of(1L), ahead.pushedSequences(), "not skipped as if the edge already had it");
        assertEquals(1, edgeView("edge-ahead").getLong("lastApplied"));
    }

    @Test
    void aSlowEdgeDoesNotHoldUpTheOthers() throws Exception {
        ScriptedEdge fast = scriptedEdge("edge-fast");
        ScriptedEdge slow = scriptedEdge("edge-slow");
        slow.slowPushes(800); // answered within fanout.timeout: live, just slow
        startApi(yaml("", ""));
        List<String> ids = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            ids.add(purge(tag(i)).getString("id"));
        }
        Http.eventually(LIMIT, "the fast edge applied all 5", () -> fast.pushedSequences().size() == 5
                && edgeStatus(ids.get(4), "edge-fast").getString("status").equals("applied"));
        assertTrue(slow.pushedSequences().size() < 5, "the slow edge (0.8 s a push) is still behind: "
                + slow.pushedSequences());
        assertEquals("pending", edgeStatus(ids.get(4), "edge-slow").getString("status"));
        JsonObject waited = purge("?wait=10s", tag(6));
        assertEquals("applied", waited.getString("status"), "wait covers every live edge, slow ones too");
        assertEquals(new JsonArray(), waited.getJsonArray("lagging"));
        assertEquals(LongStream.rangeClosed(1, 6).boxed().toList(), slow.pushedSequences());
    }

    @Test
    void aWrongTokenParksTheEdgeUntilItIsAccepted() throws Exception {
        ScriptedEdge strict = scriptedEdge("edge-strict");
        strict.answerPushes(403);
        strict.answerState(403);
        startApi(yaml("", ""));
        String first = purge(tag(1)).getString("id");
        Http.eventually(LIMIT, "failed", () -> edgeStatus(first, "edge-strict").getString("status").equals("failed"));
        String second = purge(tag(2)).getString("id");
        assertEquals("rejecting", edgeView("edge-strict").getString("health"));
        assertEquals("parked", edgeView("edge-strict").getString("delivery"));
        assertEquals(List.of(1L), strict.pushedSequences(), "no pushes while the token is refused");
        strict.server.resetMappings();
        strict.applyingInOrder();
        strict.state(0);
        Http.eventually(LIMIT, "resumed once the probe is accepted",
                () -> edgeStatus(second, "edge-strict").getString("status").equals("applied"));
        assertEquals(List.of(1L, 2L), strict.pushedSequences());
    }

    @Test
    void anEdgeThatCaughtUpByItselfIsNotPushedAgain() throws Exception {
        ScriptedEdge a = scriptedEdge("edge-a");
        a.answerPushes(503);
        a.answerState(503);
        startApi(yaml("", ""));
        List<String> ids = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            ids.add(purge(tag(i)).getString("id"));
        }
        Http.eventually(LIMIT, "parked", () -> edgeView("edge-a").getString("delivery").equals("parked"));
        a.server.resetAll();
        a.state(3); // it pulled 1..3 from GET /v1/log on its own
        a.applyingInOrder();
        Http.eventually(LIMIT, "acked through the probe", () -> edgeView("edge-a").getLong("lastApplied") == 3);
        JsonObject third = edgeStatus(ids.get(2), "edge-a");
        assertEquals("applied", third.getString("status"));
        assertEquals("catch-up", third.getString("via"));
        JsonObject first = edgeStatus(ids.get(0), "edge-a");
        assertEquals("applied", first.getString("status"), "failed, then caught up: applied");
        assertEquals(4, first.getInteger("attempts"));
        assertTrue(a.pushedSequences().isEmpty(), "nothing pushed again: " + a.pushedSequences());
        assertEquals("applied", purge("?wait=5s", tag(4)).getString("status"));
        assertEquals(List.of(4L), a.pushedSequences());
    }

    @Test
    void aRestartResumesTheFanOutStillOwed() throws Exception {
        ScriptedEdge ok = scriptedEdge("edge-ok");
        ScriptedEdge down = scriptedEdge("edge-down");
        down.answerPushes(503);
        String config = yaml("", "fanout: {timeout: 1s, max-attempts: unbounded, initial-backoff: 10ms, "
                + "max-backoff: 100ms, probe-interval: 200ms}\n").replace(
                "fanout: {timeout: 1s, max-attempts: 4, initial-backoff: 10ms, max-backoff: 50ms, probe-interval: 200ms}\n",
                "");
        startApi(config);
        List<String> ids = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            ids.add(purge(tag(i)).getString("id"));
        }
        Http.eventually(LIMIT, "edge-ok has all", () -> ok.pushedSequences().size() == 5);
        Http.eventually(LIMIT, "edge-down tried", () -> edgeStatus(ids.get(0), "edge-down").getInteger("attempts") >= 2);
        stopApi();
        down.server.resetAll();
        down.applyingInOrder();
        down.state(0);
        ok.server.resetRequests();

        startApi(config);
        assertEquals(5, api.log().last());
        Http.eventually(LIMIT, "edge-down got everything", () -> down.pushedSequences().containsAll(
                LongStream.rangeClosed(1, 5).boxed().toList()));
        assertEquals(LongStream.rangeClosed(1, 5).boxed().toList(), down.pushedSequences(), "in order, once each");
        assertTrue(ok.pushedSequences().isEmpty(), "what edge-ok acked is not pushed again: " + ok.pushedSequences());
        JsonObject first = edgeStatus(ids.get(0), "edge-down");
        assertEquals("applied", first.getString("status"));
        assertTrue(first.getInteger("attempts") >= 3, "attempts before the restart are kept: " + first.encode());
        assertEquals(6, purge(tag(6)).getLong("sequence"));
    }
}
