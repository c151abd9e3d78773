package dev.outpost.purge.testing;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.client.WireMock;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * A stand-in edge admin port (WireMock) speaking docs/purge-protocol.md: {@code POST /purge} answers 200 with
 * {@code lastApplied = sequence} (an edge that applies every push in order), {@code GET /purge/state} answers
 * {@code lastApplied} 0. Tests script failures, delays and other answers on top.
 */
public final class ScriptedEdge implements AutoCloseable {

    public final String id;
    public final String token;
    public final WireMockServer server;

    public ScriptedEdge(String id, String token) {
        this.id = id;
        this.token = token;
        this.server = new WireMockServer(wireMockConfig().dynamicPort().bindAddress("127.0.0.1")
                .containerThreads(16).jettyAcceptors(1));
        server.start();
        applyingInOrder();
        state(0);
    }

    public String adminUrl() {
        return "http://127.0.0.1:" + server.port();
    }

    /** Every push answered 200 with {@code lastApplied} = its sequence. */
    public void applyingInOrder() {
        server.stubFor(post(urlEqualTo("/purge")).withHeader("Authorization", equalTo("Bearer " + token))
                .willReturn(applied()));
    }

    public static ResponseDefinitionBuilder applied() {
        return aResponse().withStatus(200).withHeader("Content-Type", "application/json")
                .withBody("{\"purged\":1,\"sequence\":{{jsonPath request.body '$.sequence'}},"
                        + "\"lastApplied\":{{jsonPath request.body '$.sequence'}} }")
                .withTransformers("response-template");
    }

    /** {@code GET /purge/state} reports {@code lastApplied}. */
    public void state(long lastApplied) {
        server.stubFor(WireMock.get(urlEqualTo("/purge/state")).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json")
                .withBody("{\"node\":\"" + id + "\",\"lastApplied\":" + lastApplied + ",\"caughtUp\":true}")));
    }

    /** {@code GET /purge/state} answers {@code status} with an error body. */
    public void answerState(int status) {
        server.stubFor(WireMock.get(urlEqualTo("/purge/state")).willReturn(aResponse().withStatus(status)
                .withHeader("Content-Type", "application/json").withBody("{\"error\":\"scripted " + status + "\"}")));
    }

    /** The next {@code times} pushes get {@code status}, then pushes are applied again. */
    public void failPushes(int times, int status) {
        server.resetMappings();
        state(0);
        String scenario = "failures";
        for (int i = 0; i < times; i++) {
            server.stubFor(post(urlEqualTo("/purge")).inScenario(scenario)
                    .whenScenarioStateIs(i == 0 ? Scenario.STARTED : "failed-" + i)
                    .willSetStateTo("failed-" + (i + 1))
                    .willReturn(aResponse().withStatus(status).withHeader("Content-Type", "application/json")
                            .withBody("{\"error\":\"scripted failure " + (i + 1) + "\"}")));
        }
        server.stubFor(post(urlEqualTo("/purge")).inScenario(scenario).whenScenarioStateIs("failed-" + times)
                .willReturn(applied()));
    }

    /**
     * Every push answered 200 but with a fixed {@code lastApplied}: an edge that applies each purge it is sent but
     * cannot fill a gap from the log (no {@code purge.api-url}, or the feed unreachable).
     */
    public void applyingWithoutCatchUp(long lastApplied) {
        server.stubFor(post(urlEqualTo("/purge")).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json")
                .withBody("{\"purged\":1,\"sequence\":{{jsonPath request.body '$.sequence'}},\"lastApplied\":"
                        + lastApplied + "}").withTransformers("response-template")));
    }

    /** Every push gets {@code status}. */
    public void answerPushes(int status) {
        server.stubFor(post(urlEqualTo("/purge")).willReturn(aResponse().withStatus(status)
                .withHeader("Content-Type", "application/json").withBody("{\"error\":\"scripted " + status + "\"}")));
    }

    /** Pushes are applied, but only after {@code millis}. */
    public void slowPushes(int millis) {
        server.stubFor(post(urlEqualTo("/purge")).willReturn(applied().withFixedDelay(millis)));
    }

    /** The bodies of every push received, oldest first. */
    public List<JsonObject> pushes() {
        List<ServeEvent> events = new ArrayList<>(server.getAllServeEvents());
        java.util.Collections.reverse(events);
        List<JsonObject> out = new ArrayList<>();
        for (ServeEvent e : events) {
            if (e.getRequest().getUrl().equals("/purge") && e.getRequest().getMethod().getName().equals("POST")) {
                out.add(new JsonObject(e.getRequest().getBodyAsString()));
            }
        }
        return out;
    }

    /** The sequences of every push received, oldest first (retries included). */
    public List<Long> pushedSequences() {
        return pushes().stream().map(j -> j.getLong("sequence")).toList();
    }

    @Override
    public void close() {
        server.stop();
    }
}
