package dev.outpost.edge.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.api.Test;

class HopByHopTest {

    @Test
    void rfc9110_7_6_1_fixedNamesAlwaysRemoved() {
        assertEquals(HopByHop.FIXED, HopByHop.namesToRemove(HeaderFields.EMPTY));
        for (String name : new String[] {"connection", "keep-alive", "proxy-connection", "proxy-authenticate",
                "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade"}) {
            assertTrue(HopByHop.FIXED.contains(name), name);
        }
    }

    @Test
    void rfc9110_7_6_1_connectionOptionsAreRemovedToo() {
        HeaderFields h = HeaderFields.of("Connection", "close, X-Foo", "connection", " X-Bar ,,keep-alive");
        Set<String> expected = new HashSet<>(HopByHop.FIXED);
        expected.addAll(Set.of("close", "x-foo", "x-bar"));
        assertEquals(expected, HopByHop.namesToRemove(h));
        assertFalse(HopByHop.namesToRemove(h).contains(""));
    }

    @Test
    void rfc9110_7_6_1_untrustedRequestFieldsListed() {
        assertTrue(HopByHop.UNTRUSTED_REQUEST.contains("x-forwarded-for"));
        assertTrue(HopByHop.UNTRUSTED_REQUEST.contains("x-original-url"));
        assertTrue(HopByHop.UNTRUSTED_REQUEST.contains("forwarded"));
    }
}
