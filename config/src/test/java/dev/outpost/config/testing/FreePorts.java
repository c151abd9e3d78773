package dev.outpost.config.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Loopback ports for tests that must name a server's port before it starts (a config that points at it, a
 * process restarted on the same port). Shared with edge-node's and purge-api's tests (config's test-jar).
 *
 * <p>A port probed with {@code bind(0)} comes from the kernel's ephemeral range, the range it also hands to
 * every later {@code bind(0)} and outgoing connection: between the probe and the server's own bind, another
 * socket of the same test could take it ("Address already in use", seen in a full verify run). These ports are drawn
 * below that range instead, checked free, and never handed out twice in one JVM.
 */
public final class FreePorts {

    private static final int LOWEST = 10_000;
    private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

    private FreePorts() {
    }

    /** A port free on 127.0.0.1 now, outside the ephemeral range when there is room below it. */
    public static int loopback() throws IOException {
        int below = ephemeralRangeStart();
        for (int attempt = 0; below - LOWEST > 1_000 && attempt < 1_000; attempt++) {
            int port = LOWEST + ThreadLocalRandom.current().nextInt(below - LOWEST);
            if (HANDED_OUT.add(port) && isFree(port)) {
                return port;
            }
        }
        for (int attempt = 0; attempt < 1_000; attempt++) { // no room below the range: ask the kernel
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                if (HANDED_OUT.add(s.getLocalPort())) {
                    return s.getLocalPort();
                }
            }
        }
        throw new IOException("no free loopback port found");
    }

    private static boolean isFree(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1);
            return true;
        } catch (IOException inUse) {
            return false;
        }
    }

    /** The first port of the kernel's ephemeral range (Linux), or the usual 32768 where it cannot be read. */
    static int ephemeralRangeStart() {
        try {
            String range = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim();
            return Integer.parseInt(range.split("\\s+")[0]);
        } catch (IOException | RuntimeException unreadable) {
            return 32_768;
        }
    }
}
