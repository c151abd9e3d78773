package dev.outpost.edge.storage.disk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.outpost.edge.cache.CacheEntry;
import dev.outpost.edge.cache.CacheKey;
import dev.outpost.edge.http.HeaderFields;
import dev.outpost.edge.http.Reuse;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class EntryCodecTest {

    private static final Instant REQUEST = Instant.parse("2025-03-01T10:15:30.123456789Z");
    private static final Instant RESPONSE = Instant.parse("2025-03-01T10:15:31.000000001Z");

    private static CacheEntry entry(HeaderFields headers, List<String> vary, String variantKey, long initialAge,
            Reuse.Policy policy, long length, boolean invalidated) {
        return new CacheEntry(new CacheKey("site.example:8443", "/a/b?q=1&r=%20"), variantKey, vary, 200, headers,
                REQUEST, RESPONSE, initialAge, policy, length, invalidated);
    }

    private static EntryCodec.Record roundTrip(EntryCodec.Record r) {
        EntryCodec.Record back = EntryCodec.decode(EntryCodec.encode(r));
        assertNotNull(back);
        assertEquals(r, back);
        assertEquals(r.entry(), back.entry());
        assertArrayEquals(r.crcs(), back.crcs());
        return back;
    }

    @Test
    void plainEntryRoundTrips() {
        CacheEntry e = entry(HeaderFields.of("Content-Type", "text/html", "ETag", "\"abc\"", "Cache-Control",
                "max-age=60"), List.of(), "", 3, new Reuse.Policy(60, 10, 20, false, false, false), 70_000, false);
        EntryCodec.Record back = roundTrip(new EntryCodec.Record(7, 123_456_789_012L, 70_000, new int[] {1, -2}, e));
        assertEquals(7, back.generation());
        assertEquals(123_456_789_012L, back.objectId());
        assertEquals(2, back.chunkCount());
        assertEquals(REQUEST, back.entry().requestTime(), "nanoseconds kept");
        assertEquals(RESPONSE, back.entry().responseTime());
        assertEquals(3, back.entry().initialAge());
    }

    @Test
    void headerBytesOutsideAsciiSurviveAsIso88591AndWiderCharsAsUtf8() {
        HeaderFields h = HeaderFields.of("Content-Disposition", "attachment; filename=\"caf\u00e9 \u00ff\u0080.txt\"",
                "X-Raw", "\u0000\u0001\u007f\u00a0", "X-Wide", "price \u20ac 5 \ud83d\ude00", "x-lower", "");
        CacheEntry e = entry(h, List.of("accept-language", "accept-encoding"), "fr|gzip", 0,
                new Reuse.Policy(0, 0, 0, false, false, false), 0, false);
        EntryCodec.Record back = roundTrip(new EntryCodec.Record(0, 1, 0, new int[0], e));
        assertEquals("attachment; filename=\"caf\u00e9 \u00ff\u0080.txt\"", back.entry().headers().first("content-disposition"));
        assertEquals("price \u20ac 5 \ud83d\ude00", back.entry().headers().first("X-Wide"));
        assertEquals(List.of("accept-language", "accept-encoding"), back.entry().varyNames());
        assertEquals("fr|gzip", back.entry().variantKey());
    }

    @Test
    void latin1HeaderValueIsStoredOneBytePerChar() {
        String value = "\u00e9".repeat(100);
        CacheEntry e = entry(HeaderFields.of("X", value), List.of(), "", 0,
                new Reuse.Policy(1, 0, 0, false, false, false), 0, false);
        CacheEntry ascii = entry(HeaderFields.of("X", "e".repeat(100)), List.of(), "", 0,
                new Reuse.Policy(1, 0, 0, false, false, false), 0, false);
        assertEquals(EntryCodec.encode(new EntryCodec.Record(0, 1, 0, new int[0], ascii)).length,
                EntryCodec.encode(new EntryCodec.Record(0, 1, 0, new int[0], e)).length);
    }

    @Test
    void flagsAndInvalidatedRoundTrip() {
        for (int bits = 0; bits < 16; bits++) {
            Reuse.Policy p = new Reuse.Policy(600, 0, 0, (bits & 1) != 0, (bits & 2) != 0, (bits & 4) != 0);
            CacheEntry e = entry(HeaderFields.EMPTY, List.of(), "", 0, p, 5, (bits & 8) != 0);
            EntryCodec.Record back = roundTrip(new EntryCodec.Record(1, 2, 5, new int[] {42}, e));
            assertEquals((bits & 8) != 0, back.entry().invalidated());
            assertEquals(p, back.entry().policy());
        }
    }

    @Test
    void negativeAndAbsentValuesRoundTrip() {
        Reuse.Policy p = new Reuse.Policy(-1, -1, -2, true, false, false);
        CacheEntry e = new CacheEntry(new CacheKey("h", "/"), "", List.of(), -1, HeaderFields.EMPTY,
                Instant.ofEpochSecond(-5, 999_999_999), Instant.EPOCH, -7, p, 0, true);
        EntryCodec.Record back = roundTrip(new EntryCodec.Record(-3, Long.MAX_VALUE, 0, new int[0], e));
        assertEquals(-1, back.entry().status());
        assertEquals(-7, back.entry().initialAge());
        assertEquals(-1, back.entry().policy().lifetimeSeconds());
        assertEquals(-2, back.entry().policy().staleIfErrorSeconds());
        assertEquals(-3, back.generation());
    }

    @Test
    void manyHeadersAndChunksRoundTrip() {
        HeaderFields.Builder b = HeaderFields.builder();
        for (int i = 0; i < 300; i++) {
            b.add("X-H" + i, "v".repeat(i));
        }
        int[] crcs = new int[16_384];
        for (int i = 0; i < crcs.length; i++) {
            crcs[i] = i * 0x9E3779B9;
        }
        CacheEntry e = entry(b.build(), List.of(), "", 0, new Reuse.Policy(1, 0, 0, false, false, false),
                1L << 30, false);
        roundTrip(new EntryCodec.Record(0, 9, 1L << 30, crcs, e));
    }

    @Test
    void unknownVersionDamagedOrEmptyRecordsDecodeAsAbsent() {
        CacheEntry e = entry(HeaderFields.of("A", "b"), List.of(), "", 0,
                new Reuse.Policy(1, 0, 0, false, false, false), 3, false);
        byte[] good = EntryCodec.encode(new EntryCodec.Record(0, 1, 3, new int[] {5}, e));
        byte[] otherVersion = good.clone();
        otherVersion[0] = (byte) (EntryCodec.VERSION + 1);
        assertNull(EntryCodec.decode(otherVersion));
        assertNull(EntryCodec.peekIds(otherVersion));
        assertNull(EntryCodec.decode(null));
        assertNull(EntryCodec.decode(new byte[0]));
        for (int cut = 1; cut < good.length; cut++) {
            assertNull(EntryCodec.decode(Arrays.copyOf(good, cut)), "truncated at " + cut);
        }
        assertNull(EntryCodec.decode(Arrays.copyOf(good, good.length + 1)), "trailing bytes");
        byte[] hugeCount = good.clone();
        hugeCount[25] = 0x7f; // chunk count's high byte
        assertNull(EntryCodec.decode(hugeCount));
    }

    @Test
    void peekReadsGenerationAndObjectIdOnly() {
        CacheEntry e = entry(HeaderFields.EMPTY, List.of(), "", 0, new Reuse.Policy(1, 0, 0, false, false, false),
                0, false);
        long[] ids = EntryCodec.peekIds(EntryCodec.encode(new EntryCodec.Record(4, 99, 0, new int[0], e)));
        assertArrayEquals(new long[] {4, 99}, ids);
    }

    @Test
    void keyLayoutGroupsVariantsAndOrdersChunks() {
        CacheKey k = new CacheKey("site.example", "/a");
        byte[] prefix = Keys.urlPrefix(k);
        assertTrue(Keys.startsWith(Keys.meta(k, ""), prefix));
        assertTrue(Keys.startsWith(Keys.meta(k, "en"), prefix));
        assertTrue(!Keys.startsWith(Keys.meta(new CacheKey("site.example", "/ab"), ""), prefix),
                "/ab is not a variant of /a");
        assertTrue(Arrays.compareUnsigned(Keys.chunk(1, 255), Keys.chunk(1, 256)) < 0);
        assertTrue(Arrays.compareUnsigned(Keys.chunk(1, Integer.MAX_VALUE), Keys.chunkEnd(1)) < 0);
        assertTrue(Arrays.compareUnsigned(Keys.chunk(255, 0), Keys.chunk(256, 0)) < 0);
        assertEquals(300L, Keys.chunkObjectId(Keys.chunk(300, 7)));
        assertEquals(300L, Keys.pendingObjectId(Keys.pending(300)));
    }

    @Test
    void recordsOfVersionOneDecodeWithTheirObjectIdAsStamp() {
        CacheEntry e = entry(HeaderFields.of("A", "b"), List.of(), "", 0,
                new Reuse.Policy(1, 0, 0, false, false, false), 3, false);
        byte[] v2 = EntryCodec.encode(new EntryCodec.Record(0, 7, 3, new int[] {5}, e, 42));
        assertEquals(42, EntryCodec.decode(v2).stamp());
        byte[] v1 = Arrays.copyOf(v2, v2.length - 8); // version 1 had no stamp
        v1[0] = 1;
        EntryCodec.Record old = EntryCodec.decode(v1);
        assertEquals(7, old.stamp());
        assertEquals(e, old.entry());
        assertArrayEquals(new long[] {0, 7}, EntryCodec.peekIds(v1));
    }

    /** The fields the rebuild reads without decoding the headers agree with a full decode. */
    private static void assertIndexFieldsAgree(byte[] bytes, long grace) {
        assertIndexFieldsAgree(bytes, grace, "");
    }

    private static void assertIndexFieldsAgree(byte[] bytes, long grace, String what) {
        EntryCodec.Record full = EntryCodec.decode(bytes);
        EntryCodec.IndexFields light = EntryCodec.indexFields(bytes, grace);
        if (full == null || !usefulUntilFitsInMillis(full, grace)) {
            assertNull(light, what); // a damaged time the index could not hold is dropped like a damaged record
            return;
        }
        assertNotNull(light, what);
        assertEquals(new EntryCodec.IndexFields(full.generation(), full.objectId(), full.bodyLength(),
                full.chunkCount(), full.entry().key().host(), full.entry().key().asString(), full.entry().variantKey(),
                full.entry().usefulUntil(grace).toEpochMilli(), full.stamp()), light, what);
    }

    private static boolean usefulUntilFitsInMillis(EntryCodec.Record r, long grace) {
        try {
            r.entry().usefulUntil(grace).toEpochMilli();
            return true;
        } catch (ArithmeticException | java.time.DateTimeException e) {
            return false;
        }
    }

    /** RFC 9111 §4.3.1 validators (ETag, Last-Modified, any case) extend how long an entry is worth keeping. */
    @Test
    void indexFieldsAgreeWithAFullDecodeWithAndWithoutValidators() {
        Reuse.Policy policy = new Reuse.Policy(60, 30, 90, false, false, false);
        for (HeaderFields h : List.of(HeaderFields.EMPTY, HeaderFields.of("etag", "\"x\""),
                HeaderFields.of("Content-Type", "text/plain", "LAST-MODIFIED", "Tue, 01 Jul 2025 10:00:00 GMT"),
                HeaderFields.of("ETags", "no", "Last-Modified-By", "no", "X-Wide", "\u20ac"),
                HeaderFields.of("X-ETag", "no", "Et\u00e4g", "no"))) {
            CacheEntry e = entry(h, List.of("accept-encoding"), "gzip", 5, policy, 200_000, false);
            byte[] bytes = EntryCodec.encode(new EntryCodec.Record(3, 77, 200_000, new int[] {1, 2, 3, 4}, e, 99));
            assertIndexFieldsAgree(bytes, 0);
            assertIndexFieldsAgree(bytes, 3600);
        }
        CacheEntry plain = entry(HeaderFields.of("ETag", "\"a\""), List.of(), "", 0, policy, 3, false);
        byte[] v2 = EntryCodec.encode(new EntryCodec.Record(0, 7, 3, new int[] {5}, plain, 42));
        assertEquals(42, EntryCodec.indexFields(v2, 0).stamp());
        byte[] v1 = Arrays.copyOf(v2, v2.length - 8);
        v1[0] = 1;
        assertEquals(7, EntryCodec.indexFields(v1, 0).stamp(), "version 1: the stamp is the objectId");
    }

    @Test
    void indexFieldsOfDamagedRecordsAreAbsentExactlyWhenTheirDecodeIs() {
        CacheEntry e = entry(HeaderFields.of("ETag", "\"abc\"", "Cache-Control", "max-age=60"), List.of("accept"),
                "text/html", 0, new Reuse.Policy(60, 0, 0, false, false, false), 70_000, false);
        byte[] good = EntryCodec.encode(new EntryCodec.Record(1, 2, 70_000, new int[] {9, 8}, e));
        assertIndexFieldsAgree(good, 10);
        for (int cut = 0; cut < good.length; cut++) {
            assertIndexFieldsAgree(Arrays.copyOf(good, cut), 10);
        }
        assertIndexFieldsAgree(Arrays.copyOf(good, good.length + 1), 10);
        for (int i = 0; i < good.length; i++) {
            for (int bit : new int[] {0x01, 0x40, 0x80}) {
                byte[] flipped = good.clone();
                flipped[i] ^= (byte) bit;
                assertIndexFieldsAgree(flipped, 10, "byte " + i + " ^ " + bit);
            }
        }
        assertNull(EntryCodec.indexFields(null, 0));
    }
}
