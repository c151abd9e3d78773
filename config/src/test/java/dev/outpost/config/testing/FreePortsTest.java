package dev.outpost.config.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FreePortsTest {

    @Test
    void portsAreBelowTheEphemeralRangeDistinctAndBindable() throws Exception {
        int below = FreePorts.ephemeralRangeStart();
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 50; i++) {
            int port = FreePorts.loopback();
            assertTrue(port < below || below - 10_000 <= 1_000, port + " is below " + below);
            assertTrue(seen.add(port), "handed out twice: " + port + " (ephemeral range from " + below + ")");
            try (ServerSocket s = new ServerSocket()) {
                s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1);
                assertEquals(port, s.getLocalPort());
            }
        }
    }
}
