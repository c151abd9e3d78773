package dev.outpost.edge.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SurrogateKeysTest {

    @Test
    void noTagHeadersGiveNoTags() {
        assertEquals(Set.of(), SurrogateKeys.of(HeaderFields.of("Content-Type", "text/plain")));
    }

    @Test
    void surrogateKeyIsSpaceSeparated() {
        assertEquals(List.of("a", "b-1", "c"),
                List.copyOf(SurrogateKeys.of(HeaderFields.of("Surrogate-Key", "  a  b-1\tc "))));
    }

    @Test
    void cacheTagIsCommaSeparated() {
        assertEquals(List.of("a", "b c", "d"),
                List.copyOf(SurrogateKeys.of(HeaderFields.of("Cache-Tag", "a, b c ,,d"))));
    }

    @Test
    void cacheGroupsIsAListOfStrings() {
        assertEquals(List.of("scripts", "shelf a"),
                List.copyOf(SurrogateKeys.of(HeaderFields.of("Cache-Groups", "\"scripts\", \"shelf a\""))));
    }

    @Test
    void cacheGroupsMembersThatAreNotStringsAreSkipped() {
        assertEquals(List.of("ok"),
                List.copyOf(SurrogateKeys.of(HeaderFields.of("Cache-Groups", "token, \"ok\", 42"))));
    }

    @Test
    void invalidCacheGroupsIsIgnoredButOtherHeadersCount() {
        assertEquals(List.of("sk"), List.copyOf(SurrogateKeys.of(
                HeaderFields.of("Cache-Groups", "\"unterminated", "Surrogate-Key", "sk"))));
    }

    @Test
    void everyLineOfEveryHeaderCountsAndDuplicatesCollapse() {
        assertEquals(List.of("a", "b", "c", "d"), List.copyOf(SurrogateKeys.of(HeaderFields.of(
                "Surrogate-Key", "a b", "Surrogate-Key", "c", "Cache-Tag", "a,d", "Cache-Groups", "\"b\""))));
    }

    @Test
    void tagsAreCaseSensitive() {
        assertEquals(Set.of("A", "a"), SurrogateKeys.of(HeaderFields.of("Surrogate-Key", "A a")));
    }
}
