package dev.outpost.edge.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Accept-Encoding normalisation: RFC 9110 §12.5.3 (Accept-Encoding), §12.4.2 (weights), §8.4.1.3 (x-gzip). */
class AcceptEncodingTest {

    private final AcceptEncoding normaliser = new AcceptEncoding(List.of("br", "gzip", "zstd"));

    private String normal(String... lines) {
        return normaliser.normalise(List.of(lines));
    }

    @ParameterizedTest(name = "[{index}] {0} -> {1}")
    @CsvSource(delimiter = '|', value = {
        // what browsers and tools send: one variant per set of accepted codings, whatever the spelling
        "gzip, deflate, br              | br, gzip",
        "gzip, deflate, br, zstd        | br, gzip, zstd",
        "br, gzip                       | br, gzip",
        "BR,GZIP                        | br, gzip",
        "deflate, gzip, br, zstd        | br, gzip, zstd",
        "gzip                           | gzip",
        "x-gzip                         | gzip",
        // §12.4.2: weights; 0 is "not acceptable", a missing weight is 1; preference among accepted ones is dropped
        "gzip;q=1.0, br;q=0.5           | br, gzip",
        "gzip; q=0.001, br;Q=0          | gzip",
        "br;q=0, gzip;q=0               | identity",
        "gzip;q=0, gzip;q=0.5           | gzip",
        // §12.5.3: * covers every coding not listed
        "*                              | br, gzip, zstd",
        "*;q=0.5, br;q=0                | gzip, zstd",
        "deflate                        | identity",
        "identity                       | identity",
        "'  ,  gzip ,, '                | gzip",
    })
    void normalisesToTheConfiguredCodingsTheRequestAccepts(String field, String expected) {
        assertEquals(expected, normal(field.replace("'", "")));
    }

    @Test
    void anEmptyFieldAcceptsOnlyIdentity() {
        assertEquals("identity", normal(""), "RFC 9110 §12.5.3: an empty value means no coding is wanted");
    }

    @Test
    void severalFieldLinesAreOneList() {
        assertEquals("br, gzip", normal("gzip", "br;q=0.8", "deflate"), "RFC 9110 §5.3");
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', value = {
        // a client that refuses identity must get a coding it listed: left as it is
        "deflate, identity;q=0",
        "gzip, *;q=0",
        // not Accept-Encoding: left for the origin to judge
        "gzip;level=9",
        "gzip;q=2",
        "gzip;q=0.0001",
        "gzip;q=1.5",
        "gzip;q=",
        "gz ip",
        "gzip;q=.5",
    })
    void fieldsThatCannotBeNormalisedSafelyAreKept(String field) {
        assertNull(normal(field));
    }

    @Test
    void rememberedAnswersAreTheSameAnswers() {
        for (int round = 0; round < 2; round++) {
            assertEquals("br, gzip", normal("gzip, deflate, br"), "round " + round);
            assertNull(normal("gzip, *;q=0"), "round " + round);
            assertEquals("gzip", normal("gzip"), "round " + round);
        }
        for (int i = 0; i < AcceptEncoding.MEMO_LIMIT + 10; i++) { // past the limit: still answered, not kept
            assertEquals("gzip", normal("gzip, x-" + i));
        }
        assertEquals("br", normal("br, " + "x".repeat(AcceptEncoding.MEMO_MAX_LINE)));
    }

    @Test
    void offKeepsEveryField() {
        assertNull(AcceptEncoding.OFF.normalise(List.of("gzip, deflate, br")));
        assertNull(AcceptEncoding.of(false, List.of("gzip")).normalise(List.of("gzip, br")));
    }

    @Test
    void theConfiguredOrderIsTheNormalOrder() {
        assertEquals("zstd, gzip", new AcceptEncoding(List.of("zstd", "gzip")).normalise(List.of("gzip, br, zstd")));
    }

    @ParameterizedTest(name = "[{index}] {0} -> {1}")
    @CsvSource({"0, 0", "0.5, 0.5", "0.125, 0.125", "1, 1", "1.000, 1", "1.001, -1", "0.1234, -1", "2, -1", "01, -1"})
    void weightsAreQvalues(String q, double expected) {
        assertEquals(expected, AcceptEncoding.qvalue(q), "RFC 9110 §12.4.2");
    }
}
