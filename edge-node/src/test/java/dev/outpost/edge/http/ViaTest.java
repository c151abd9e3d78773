package dev.outpost.edge.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ViaTest {

    @Test
    void rfc9110_7_6_3_receivedByOfEachMember() {
        assertEquals(List.of("edge-us", "shield-us", "fred", "nowhere.com:8080"),
                Via.receivedBy("1.1 edge-us (outpost), HTTP/1.1 shield-us (outpost),1.0 fred, 1.1 nowhere.com:8080 (Apache/1.1)"));
    }

    @Test
    void rfc9110_5_6_5_commasAndParenthesesInsideCommentsDoNotSplitMembers() {
        assertEquals(List.of("a", "b"), Via.receivedBy("1.1 a (x, y (nested, z) \\) still, comment), 1.1 b"));
    }

    @Test
    void rfc9110_7_6_3_malformedMembersAreSkipped() {
        assertEquals(List.of("ok"), Via.receivedBy(" , 1.1, 1.1 (only a comment), 1.1 ok"));
        assertEquals(List.of(), Via.receivedBy(null));
        assertEquals(List.of(), Via.receivedBy(""));
    }

    @Test
    void rfc9110_7_6_3_loopIsAnEarlierHopNamedLikeThisNode() {
        HeaderFields request = HeaderFields.of("Via", "1.1 edge-eu (outpost)", "via", "1.1 shield-eu (outpost)");
        assertTrue(Via.passedThrough(request, "shield-eu"));
        assertTrue(Via.passedThrough(request, "edge-eu"));
        assertFalse(Via.passedThrough(request, "edge-us"));
        assertFalse(Via.passedThrough(request, "shield"), "a prefix of a name is another name");
        assertFalse(Via.passedThrough(request, "Edge-EU"), "node ids are case-sensitive");
        assertFalse(Via.passedThrough(HeaderFields.EMPTY, "edge-eu"));
    }
}
