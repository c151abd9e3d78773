package dev.outpost.config;

import static dev.outpost.config.Problems.assertHas;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PortCheckTest {

    private static EdgeConfig edge(int serverPort, int adminPort) {
        return ConfigLoader.parseEdge("""
                node: {id: edge-1}
                server: {host: 127.0.0.1, port: %d}
                admin: {host: 127.0.0.1, port: %d}
                origins:
                  - {host: "*", url: "http://127.0.0.1:8000"}
                """.formatted(serverPort, adminPort), Map.of());
    }

    @Test
    void busyPortIsReported() throws Exception {
        try (ServerSocket busy = new ServerSocket()) {
            busy.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
            int port = busy.getLocalPort();
            // Parsing does not check ports: tests parse configs with busy ports.
            EdgeConfig config = edge(port, 0);
            List<ConfigProblem> problems = ConfigLoader.checkPortsFree(config);
            assertEquals(1, problems.size(), problems.toString());
            assertHas(problems, "server.port", "port " + port + " on 127.0.0.1 is already in use");

            problems = ConfigLoader.checkPortsFree(edge(0, port));
            assertHas(problems, "admin.port", "is already in use");

            PurgeApiConfig purge = ConfigLoader.parsePurgeApi("""
                    server: {host: 127.0.0.1, port: %d}
                    auth: {tokens: [{name: a, token: b}]}
                    log: {path: target/purge-log-test}
                    edges: [{id: e, admin-url: "http://127.0.0.1:1", token: t}]
                    """.formatted(port), Map.of());
            assertHas(ConfigLoader.checkPortsFree(purge), "server.port", "is already in use");
        }
    }

    @Test
    void freeAndEphemeralPortsPass() throws Exception {
        int free;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            free = s.getLocalPort();
        }
        assertTrue(ConfigLoader.checkPortsFree(edge(free, 0)).isEmpty());
        assertTrue(ConfigLoader.checkPortsFree(edge(0, 0)).isEmpty());
    }
}
