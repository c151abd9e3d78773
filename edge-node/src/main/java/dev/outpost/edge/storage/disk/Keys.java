package dev.outpost.edge.storage.disk;

import dev.outpost.edge.cache.CacheKey;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * RocksDB key layout of the disk tier.
 * <ul>
 * <li>{@code meta}: UTF-8 of {@code CacheKey.asString()}, 0x00, UTF-8 of the variant key. A prefix scan
 *     over {@code asString() + 0x00} finds every variant of a URL (a URL never contains a raw NUL; the
 *     decoded record's key is checked anyway).</li>
 * <li>{@code chunks}: objectId (8 bytes big-endian) + chunk index (4 bytes big-endian), so the chunks
 *     of one object are adjacent and in order, and all chunks of an object are one key range.</li>
 * <li>{@code tags}: generation (8 bytes big-endian), UTF-8 of the tag, 0x00, then the meta key of a
 *     variant carrying that tag ({@code url 0x00 variantKey}); empty value. A prefix scan over
 *     {@code generation tag 0x00} finds every variant tagged so (narrowed to a host by appending
 *     {@code host/}), and one {@code deleteRange} over older generations drops their entries. Tags
 *     never contain NUL (header field values cannot).</li>
 * <li>{@code default}: the store-level keys below, and {@code pending/} + objectId for every object
 *     whose chunks are being written (its "intent"), deleted in the batch that commits or drops it.</li>
 * </ul>
 */
final class Keys {

    static final byte[] FORMAT = ascii("format");
    static final byte[] GENERATION = ascii("generation");
    static final byte[] PENDING_PREFIX = ascii("pending/");
    /** Present once the {@code tags} family indexes every stored variant (older stores get it at open). */
    static final byte[] TAG_INDEX_BUILT = ascii("tag-index");
    /** The highest purge sequence applied to this store (docs/purge-protocol.md), a long. */
    static final byte[] PURGE_SEQUENCE = ascii("purge-sequence");
    /** The purge markers of this store ({@code storage.PurgeMarkers#encode}): purges of everything but the global hard one. */
    static final byte[] PURGE_MARKERS = ascii("purge-markers");

    private Keys() {
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    static byte[] urlPrefix(CacheKey key) {
        return urlPrefix(key.asString());
    }

    static byte[] urlPrefix(String url) {
        byte[] u = url.getBytes(StandardCharsets.UTF_8);
        byte[] k = Arrays.copyOf(u, u.length + 1);
        k[u.length] = 0;
        return k;
    }

    static byte[] meta(CacheKey key, String variantKey) {
        return meta(key.asString(), variantKey);
    }

    static byte[] meta(String url, String variantKey) {
        byte[] u = url.getBytes(StandardCharsets.UTF_8);
        byte[] v = variantKey.getBytes(StandardCharsets.UTF_8);
        byte[] k = new byte[u.length + 1 + v.length];
        System.arraycopy(u, 0, k, 0, u.length);
        System.arraycopy(v, 0, k, u.length + 1, v.length);
        return k;
    }

    /** {@code generation tag 0x00}, followed by {@code host/} when {@code hostOrNull} is given. */
    static byte[] tagPrefix(long generation, String tag, String hostOrNull) {
        byte[] t = tag.getBytes(StandardCharsets.UTF_8);
        byte[] h = hostOrNull == null ? new byte[0] : (hostOrNull + "/").getBytes(StandardCharsets.UTF_8);
        byte[] k = new byte[8 + t.length + 1 + h.length];
        putLong(k, 0, generation);
        System.arraycopy(t, 0, k, 8, t.length);
        System.arraycopy(h, 0, k, 8 + t.length + 1, h.length);
        return k;
    }

    static byte[] tag(long generation, String tag, byte[] metaKey) {
        byte[] prefix = tagPrefix(generation, tag, null);
        byte[] k = Arrays.copyOf(prefix, prefix.length + metaKey.length);
        System.arraycopy(metaKey, 0, k, prefix.length, metaKey.length);
        return k;
    }

    /** The meta key a tag key points at, given the length of its {@code generation tag 0x00} prefix. */
    static byte[] metaKeyOfTag(byte[] tagKey, int prefixLength) {
        return Arrays.copyOfRange(tagKey, prefixLength, tagKey.length);
    }

    /** The first tag key of generation {@code generation} (the exclusive end of the older ones). */
    static byte[] tagsOfGeneration(long generation) {
        return longValue(generation);
    }

    static boolean startsWith(byte[] key, byte[] prefix) {
        return key.length >= prefix.length && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
    }

    static byte[] chunk(long objectId, int index) {
        byte[] k = new byte[12];
        putLong(k, 0, objectId);
        k[8] = (byte) (index >>> 24);
        k[9] = (byte) (index >>> 16);
        k[10] = (byte) (index >>> 8);
        k[11] = (byte) index;
        return k;
    }

    /** The first key after every chunk of {@code objectId}: the exclusive end of its range. */
    static byte[] chunkEnd(long objectId) {
        return chunk(objectId + 1, 0);
    }

    static long chunkObjectId(byte[] chunkKey) {
        return getLong(chunkKey, 0);
    }

    static byte[] pending(long objectId) {
        byte[] k = Arrays.copyOf(PENDING_PREFIX, PENDING_PREFIX.length + 8);
        putLong(k, PENDING_PREFIX.length, objectId);
        return k;
    }

    static long pendingObjectId(byte[] key) {
        return getLong(key, PENDING_PREFIX.length);
    }

    static byte[] longValue(long v) {
        byte[] b = new byte[8];
        putLong(b, 0, v);
        return b;
    }

    static void putLong(byte[] b, int off, long v) {
        for (int i = 7; i >= 0; i--) {
            b[off + i] = (byte) v;
            v >>>= 8;
        }
    }

    static long getLong(byte[] b, int off) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (b[off + i] & 0xff);
        }
        return v;
    }
}
