package dev.outpost.edge.testing;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.WireMock;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Objects of random bytes on a WireMock origin, cacheable for an hour and sent with their Content-Length:
 * {@code /obj/0} to {@code /obj/<count-1>}.
 */
public final class RandomObjects {

    private RandomObjects() {
    }

    /** Stubs {@code count} objects of {@code size} bytes drawn from {@code seed}; returns their bodies in order. */
    public static List<byte[]> stub(WireMockServer origin, int count, int size, long seed) {
        Random random = new Random(seed);
        List<byte[]> bodies = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            byte[] body = new byte[size];
            random.nextBytes(body);
            bodies.add(body);
            origin.stubFor(WireMock.get(urlPathMatching("/obj/" + i)).willReturn(aResponse().withStatus(200)
                    .withHeader("Cache-Control", "max-age=3600")
                    .withHeader("Content-Length", Integer.toString(size)) // else WireMock sends it chunked
                    .withBody(body)));
        }
        return bodies;
    }
}
