package dev.outpost.edge.proxy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class RendezvousHashTest {

    private static final List<String> SHIELDS = List.of("http://shield-0.shield-pods:8080",
            "http://shield-1.shield-pods:8080", "http://shield-2.shield-pods:8080");

    private static String name(RendezvousHash h, List<String> servers, String key) {
        return servers.get(h.first(key));
    }

    private static String key(int i) {
        return "site.example/static/object-" + i + ".js?v=3";
    }

    @Test
    void aKeyKeepsItsServerWhateverTheListOrderAndInstance() {
        List<String> shuffled = new ArrayList<>(SHIELDS);
        Collections.shuffle(shuffled, new java.util.Random(7));
        Collections.reverse(shuffled);
        RendezvousHash a = new RendezvousHash(SHIELDS);
        RendezvousHash b = new RendezvousHash(shuffled);
        for (int i = 0; i < 10_000; i++) {
            String k = key(i);
            assertEquals(name(a, SHIELDS, k), name(a, SHIELDS, k));
            assertEquals(name(a, SHIELDS, k), name(b, shuffled, k), k);
        }
    }

    /** The weights are part of the deployment's contract: nodes of different versions must agree. */
    @Test
    void theWeightsArePinned() {
        RendezvousHash h = new RendezvousHash(SHIELDS);
        assertEquals(0xcbf29ce484222325L, RendezvousHash.fnv(""));
        assertEquals(0xaf63dc4c8601ec8cL, RendezvousHash.fnv("a")); // FNV-1a's published test vector
        assertEquals(0L, RendezvousHash.mix(0L));
        int[] firsts = new int[8];
        for (int i = 0; i < firsts.length; i++) {
            firsts[i] = h.first(key(i));
        }
        assertArrayEquals(PINNED_FIRSTS, firsts, Arrays.toString(firsts));
    }

    /** Computed by an independent implementation (a few lines of Python) of the same definition. */
    private static final int[] PINNED_FIRSTS = {0, 0, 1, 2, 0, 0, 1, 1};

    @Test
    void keysSpreadEvenly() {
        for (int n = 2; n <= 5; n++) {
            List<String> servers = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                servers.add("http://shield-" + i + ".shield-pods.outpost-eu.svc.cluster.local:8080");
            }
            RendezvousHash h = new RendezvousHash(servers);
            int keys = 60_000;
            int[] count = new int[n];
            for (int i = 0; i < keys; i++) {
                count[h.first(key(i))]++;
            }
            double expected = (double) keys / n;
            for (int c : count) {
                assertTrue(Math.abs(c - expected) < expected * 0.03, n + " servers: " + Arrays.toString(count));
            }
        }
    }

    @Test
    void removingAServerMovesOnlyItsKeysAndSpreadsThemOverTheOthers() {
        RendezvousHash all = new RendezvousHash(SHIELDS);
        List<String> without1 = List.of(SHIELDS.get(0), SHIELDS.get(2));
        RendezvousHash fewer = new RendezvousHash(without1);
        int[] movedTo = new int[3];
        for (int i = 0; i < 30_000; i++) {
            String k = key(i);
            String before = name(all, SHIELDS, k);
            String after = name(fewer, without1, k);
            if (!before.equals(SHIELDS.get(1))) {
                assertEquals(before, after, k);
            } else {
                movedTo[SHIELDS.indexOf(after)]++;
                // The key's second choice among all three is where it goes.
                assertEquals(SHIELDS.get(all.order(k)[1]), after, k);
            }
        }
        assertEquals(0, movedTo[1]);
        assertTrue(Math.abs(movedTo[0] - movedTo[2]) < (movedTo[0] + movedTo[2]) * 0.06, Arrays.toString(movedTo));
    }

    @Test
    void theOrderIsAPermutationLedByTheFirstChoice() {
        RendezvousHash h = new RendezvousHash(SHIELDS);
        for (int i = 0; i < 1000; i++) {
            int[] order = h.order(key(i));
            assertEquals(h.first(key(i)), order[0]);
            int[] sorted = order.clone();
            Arrays.sort(sorted);
            assertArrayEquals(new int[] {0, 1, 2}, sorted);
        }
        assertEquals(0, new RendezvousHash(List.of("only")).first("anything"));
        assertArrayEquals(new int[] {0}, new RendezvousHash(List.of("only")).order("anything"));
        assertThrows(IllegalArgumentException.class, () -> new RendezvousHash(List.of()));
    }
}
