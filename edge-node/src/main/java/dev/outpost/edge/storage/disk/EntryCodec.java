package dev.outpost.edge.storage.disk;

import dev.outpost.edge.cache.CacheEntry;
import dev.outpost.edge.cache.CacheKey;
import dev.outpost.edge.http.HeaderFields;
import dev.outpost.edge.http.Reuse;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The binary form of one {@code meta} record of the disk tier: a {@link CacheEntry} plus what the
 * disk tier needs to find and verify its body.
 *
 * <pre>
 * u8      codec version (= {@link #VERSION}, or 1: written before stamps, whose stamp is the objectId);
 *         any other value decodes as absent
 * i64     generation the object was written in (see DiskStorage#bumpGeneration)
 * i64     objectId: the prefix of its chunk keys; fresh for every stored version of an object
 * i64     body length in bytes (also the entry's bodyLength)
 * i32     chunk count = ceil(length / 64 KiB)
 * i32 * n CRC32C of each chunk, so that a range read verifies only the chunks it reads
 * str     host, str pathAndQuery, str variantKey
 * var     number of vary names, then str each
 * i32     status
 * var     number of header fields, then str name, str value for each (order kept)
 * i64,i32 requestTime (epoch seconds, nanos); i64,i32 responseTime
 * i64     initialAge
 * i64 * 3 lifetime, stale-while-revalidate, stale-if-error (negative values kept as they are)
 * u8      flags: 1 mustRevalidate, 2 noCache, 4 immutable, 8 invalidated
 * i64     stamp (version 2): what purges of everything are compared with (storage.PurgeMarkers)
 * </pre>
 * {@code var} is an unsigned LEB128 varint. {@code str} is a varint {@code (byteLength << 1) | utf8}
 * then the bytes: ISO-8859-1 (one byte per char, what header bytes off the wire are) whenever every
 * char fits, UTF-8 otherwise, so any Java string survives a round trip.
 *
 * <p>Times are kept to the nanosecond so that {@code Age} continues from the stored values after a
 * restart. Decoding never throws: a record of an unknown version or a damaged one is {@code null}
 * (absent), and the store-level format check drops stores written by an incompatible build anyway.
 */
final class EntryCodec {

    static final byte VERSION = 2;
    /** Records written before stamps: read, their stamp is their objectId (also taken at the writer's start). */
    private static final byte VERSION_1 = 1;

    private static final int MUST_REVALIDATE = 1;
    private static final int NO_CACHE = 2;
    private static final int IMMUTABLE = 4;
    private static final int INVALIDATED = 8;

    private EntryCodec() {
    }

    /** One decoded meta record. */
    record Record(long generation, long objectId, long bodyLength, int[] crcs, CacheEntry entry, long stamp) {

        /** Stamped with its objectId, as a fresh object is. */
        Record(long generation, long objectId, long bodyLength, int[] crcs, CacheEntry entry) {
            this(generation, objectId, bodyLength, crcs, entry, objectId);
        }

        int chunkCount() {
            return crcs.length;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Record r && generation == r.generation && objectId == r.objectId
                    && stamp == r.stamp && bodyLength == r.bodyLength && Arrays.equals(crcs, r.crcs) && entry.equals(r.entry);
        }

        @Override
        public int hashCode() {
            return Long.hashCode(objectId) * 31 + entry.hashCode();
        }

        @Override
        public String toString() {
            return "Record[gen=" + generation + ", id=" + objectId + ", stamp=" + stamp + ", length=" + bodyLength + ", chunks="
                    + crcs.length + ", " + entry + "]";
        }
    }

    static byte[] encode(Record r) {
        CacheEntry e = r.entry();
        Out out = new Out(160 + 4 * r.crcs().length + (int) Math.min(1 << 20, e.headers().byteSize() * 2));
        out.u8(VERSION);
        out.i64(r.generation());
        out.i64(r.objectId());
        out.i64(r.bodyLength());
        out.i32(r.crcs().length);
        for (int crc : r.crcs()) {
            out.i32(crc);
        }
        out.str(e.key().host());
        out.str(e.key().pathAndQuery());
        out.str(e.variantKey());
        out.var(e.varyNames().size());
        for (String n : e.varyNames()) {
            out.str(n);
        }
        out.i32(e.status());
        HeaderFields h = e.headers();
        out.var(h.size());
        for (int i = 0; i < h.size(); i++) {
            out.str(h.name(i));
            out.str(h.value(i));
        }
        out.i64(e.requestTime().getEpochSecond());
        out.i32(e.requestTime().getNano());
        out.i64(e.responseTime().getEpochSecond());
        out.i32(e.responseTime().getNano());
        out.i64(e.initialAge());
        Reuse.Policy p = e.policy();
        out.i64(p.lifetimeSeconds());
        out.i64(p.staleWhileRevalidateSeconds());
        out.i64(p.staleIfErrorSeconds());
        out.u8((p.mustRevalidate() ? MUST_REVALIDATE : 0) | (p.noCache() ? NO_CACHE : 0)
                | (p.immutable() ? IMMUTABLE : 0) | (e.invalidated() ? INVALIDATED : 0));
        out.i64(r.stamp());
        return out.toByteArray();
    }

    /** The fixed fields that open every record, and the rest of it to read. */
    private record Head(long generation, long objectId, long bodyLength, int chunkCount, ByteBuffer rest) {
        /** Null when the record is of a version this codec does not read, or its head cannot be right. */
        static Head read(byte[] bytes) {
            if (bytes == null || bytes.length < 29 || bytes[0] != VERSION && bytes[0] != VERSION_1) {
                return null;
            }
            ByteBuffer in = ByteBuffer.wrap(bytes, 1, bytes.length - 1);
            Head h = new Head(in.getLong(), in.getLong(), in.getLong(), in.getInt(), in);
            return h.chunkCount < 0 || h.chunkCount > in.remaining() / 4 || h.bodyLength < 0 ? null : h;
        }
    }

    /** The record, or null when it was written by another codec version or is damaged. */
    static Record decode(byte[] bytes) {
        Head head = Head.read(bytes);
        if (head == null) {
            return null;
        }
        try {
            ByteBuffer in = head.rest();
            int[] crcs = new int[head.chunkCount()];
            for (int i = 0; i < crcs.length; i++) {
                crcs[i] = in.getInt();
            }
            String host = str(in);
            String path = str(in);
            String variantKey = str(in);
            int varyCount = var(in);
            List<String> vary = new ArrayList<>(Math.min(varyCount, 64));
            for (int i = 0; i < varyCount; i++) {
                vary.add(str(in));
            }
            int status = in.getInt();
            int headerCount = var(in);
            String[] nv = new String[Math.multiplyExact(headerCount, 2)];
            for (int i = 0; i < nv.length; i++) {
                nv[i] = str(in);
            }
            Instant requestTime = Instant.ofEpochSecond(in.getLong(), in.getInt());
            Instant responseTime = Instant.ofEpochSecond(in.getLong(), in.getInt());
            long initialAge = in.getLong();
            long lifetime = in.getLong();
            long swr = in.getLong();
            long sie = in.getLong();
            int flags = in.get() & 0xff;
            long stamp = bytes[0] == VERSION_1 ? head.objectId() : in.getLong();
            if (in.hasRemaining()) {
                return null;
            }
            Reuse.Policy policy = new Reuse.Policy(lifetime, swr, sie, (flags & MUST_REVALIDATE) != 0,
                    (flags & NO_CACHE) != 0, (flags & IMMUTABLE) != 0);
            CacheEntry entry = new CacheEntry(new CacheKey(host, path), variantKey, vary, status,
                    HeaderFields.of(nv), requestTime, responseTime, initialAge, policy, head.bodyLength(),
                    (flags & INVALIDATED) != 0);
            return new Record(head.generation(), head.objectId(), head.bodyLength(), crcs, entry, stamp);
        } catch (BufferUnderflowException | IllegalArgumentException | IndexOutOfBoundsException
                | DateTimeException | ArithmeticException | NegativeArraySizeException e) {
            return null;
        }
    }

    /**
     * What the disk tier's index needs from one record ({@link DiskStorage}'s start-up rebuild reads a million of
     * them): read without building the entry, its header strings or its vary list.
     *
     * @param usefulUntilMillis {@link CacheEntry#usefulUntil} in epoch milliseconds
     */
    record IndexFields(long generation, long objectId, long bodyLength, int chunkCount, String host, String url,
            String variantKey, long usefulUntilMillis, long stamp) {
    }

    /**
     * The index fields of an encoded record, or null when {@link #decode} answers null (the same structural
     * checks, without creating the strings and objects the index does not keep) or when its useful life ends
     * beyond what epoch milliseconds hold (a damaged time).
     */
    static IndexFields indexFields(byte[] bytes, long revalidationGraceSeconds) {
        Head head = Head.read(bytes);
        if (head == null) {
            return null;
        }
        try {
            ByteBuffer in = head.rest();
            in.position(in.position() + 4 * head.chunkCount());
            CacheKey key = new CacheKey(str(in), str(in)); // validated as decode does
            String variantKey = str(in);
            int varyCount = var(in);
            for (int i = 0; i < varyCount; i++) {
                skipStr(in);
            }
            in.getInt(); // status
            int fieldCount = Math.multiplyExact(var(in), 2);
            boolean validator = false;
            for (int i = 0; i < fieldCount; i += 2) {
                validator |= isValidatorName(in);
                skipStr(in); // the value
            }
            Instant.ofEpochSecond(in.getLong(), in.getInt()); // requestTime: checked as decode does
            Instant responseTime = Instant.ofEpochSecond(in.getLong(), in.getInt());
            long initialAge = in.getLong();
            long lifetime = in.getLong();
            long swr = in.getLong();
            long sie = in.getLong();
            in.get(); // flags
            long stamp = bytes[0] == VERSION_1 ? head.objectId() : in.getLong();
            if (in.hasRemaining()) {
                return null;
            }
            long usefulUntil = CacheEntry.usefulUntil(responseTime, lifetime, initialAge, swr, sie, validator,
                    revalidationGraceSeconds).toEpochMilli();
            return new IndexFields(head.generation(), head.objectId(), head.bodyLength(), head.chunkCount(), key.host(),
                    key.asString(), variantKey, usefulUntil, stamp);
        } catch (BufferUnderflowException | IllegalArgumentException | IndexOutOfBoundsException
                | DateTimeException | ArithmeticException e) {
            return null;
        }
    }

    /** Reads one field name: whether it is ETag or Last-Modified (any case), the validators of §4.3.1. */
    private static boolean isValidatorName(ByteBuffer in) {
        int tag = var(in);
        int len = tag >>> 1;
        if (len > in.remaining()) {
            throw new BufferUnderflowException();
        }
        int at = in.arrayOffset() + in.position();
        // the same bytes whether stored as ISO-8859-1 or UTF-8: both names are ASCII
        boolean validator = asciiEqualsIgnoreCase(in.array(), at, len, "etag")
                || asciiEqualsIgnoreCase(in.array(), at, len, "last-modified");
        in.position(in.position() + len);
        return validator;
    }

    private static boolean asciiEqualsIgnoreCase(byte[] b, int at, int len, String lower) {
        if (len != lower.length()) {
            return false;
        }
        for (int i = 0; i < len; i++) {
            int c = b[at + i];
            if (c >= 'A' && c <= 'Z') {
                c += 'a' - 'A';
            }
            if (c != lower.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static void skipStr(ByteBuffer in) {
        int len = var(in) >>> 1;
        if (len > in.remaining()) {
            throw new BufferUnderflowException();
        }
        in.position(in.position() + len);
    }

    /** The generation and objectId of an encoded record without decoding the rest; null if not ours. */
    static long[] peekIds(byte[] bytes) {
        if (bytes == null || bytes.length < 17 || bytes[0] != VERSION && bytes[0] != VERSION_1) {
            return null;
        }
        ByteBuffer in = ByteBuffer.wrap(bytes);
        return new long[] {in.getLong(1), in.getLong(9)};
    }

    private static int var(ByteBuffer in) {
        int v = 0;
        for (int shift = 0; shift < 35; shift += 7) {
            int b = in.get() & 0xff;
            v |= (b & 0x7f) << shift;
            if (b < 0x80) {
                if (v < 0) {
                    throw new IllegalArgumentException("varint out of range");
                }
                return v;
            }
        }
        throw new IllegalArgumentException("varint too long");
    }

    private static String str(ByteBuffer in) {
        int tag = var(in);
        int len = tag >>> 1;
        if (len > in.remaining()) {
            throw new BufferUnderflowException();
        }
        String s = new String(in.array(), in.arrayOffset() + in.position(), len,
                (tag & 1) != 0 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        in.position(in.position() + len);
        return s;
    }

    /** A growable big-endian byte sink. */
    private static final class Out {
        private byte[] buf;
        private int pos;

        Out(int capacity) {
            buf = new byte[Math.max(64, capacity)];
        }

        private void ensure(int n) {
            if (pos + n > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, pos + n));
            }
        }

        void u8(int v) {
            ensure(1);
            buf[pos++] = (byte) v;
        }

        void i32(int v) {
            ensure(4);
            buf[pos++] = (byte) (v >>> 24);
            buf[pos++] = (byte) (v >>> 16);
            buf[pos++] = (byte) (v >>> 8);
            buf[pos++] = (byte) v;
        }

        void i64(long v) {
            i32((int) (v >>> 32));
            i32((int) v);
        }

        void var(int v) {
            ensure(5);
            while ((v & ~0x7f) != 0) {
                buf[pos++] = (byte) ((v & 0x7f) | 0x80);
                v >>>= 7;
            }
            buf[pos++] = (byte) v;
        }

        void str(String s) {
            boolean latin1 = true;
            for (int i = 0; i < s.length(); i++) {
                if (s.charAt(i) > 0xff) {
                    latin1 = false;
                    break;
                }
            }
            byte[] b = s.getBytes(latin1 ? StandardCharsets.ISO_8859_1 : StandardCharsets.UTF_8);
            var((b.length << 1) | (latin1 ? 0 : 1));
            ensure(b.length);
            System.arraycopy(b, 0, buf, pos, b.length);
            pos += b.length;
        }

        byte[] toByteArray() {
            return Arrays.copyOf(buf, pos);
        }
    }
}
