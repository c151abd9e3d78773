package dev.outpost.edge.proxy;

import dev.outpost.edge.cache.CacheEntry;
import dev.outpost.edge.http.ByteRange;
import dev.outpost.edge.http.Conditional;
import dev.outpost.edge.http.Fields;
import dev.outpost.edge.storage.StoredBody;
import dev.outpost.edge.storage.StoredObject;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.DefaultFileRegion;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.AsciiString;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.internal.buffer.BufferInternal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.Locale;
import java.util.Set;

/**
 * Answers a request from a stored response: RFC 9111 §4 reuse with {@code Age} (§5.1) always sent,
 * §4.3.2 the client's own conditional request answered 304, RFC 9110 §14 a single byte range answered
 * 206 (with If-Range, §13.1.5), HEAD answered without content. The body streams from storage with
 * back-pressure; only the chunks a range needs are read.
 *
 * <p><b>Bodies that can fail to read.</b> A body outside memory (the disk tier) can fail part-way: a
 * chunk that fails its checksum, an I/O error. Up to {@link #VERIFIED_BEFORE_HEAD} bytes to send, every
 * chunk is read (and verified by the tier) before the head is written, so any failure still leaves the
 * caller free to answer from the origin instead. A larger body streams as it is read; a failure after
 * the head is out cuts the response (the connection is reset), the only honest answer once bytes are
 * sent: the client sees a short body, never wrong bytes. Either way the future fails and the caller
 * drops the stored copy.
 */
public final class ResponseWriter {

    /**
     * Disk bodies up to this many bytes (8 chunks of 64 KiB) are read whole before the head is written.
     * It covers about 99% of the objects of a typical size mix (load-tests' default: 1% are above 512
     * KiB), holds at most this much per response in the heap (streaming holds one chunk), and costs the
     * time to first byte of reading 8 chunks on the 2 read threads instead of one; above it, buffering
     * would grow the heap per response and delay the first byte for the few large objects.
     */
    public static final long VERIFIED_BEFORE_HEAD = 512 * 1024;

    /** Fields a 304 carries from the stored 200 (RFC 9110 §15.4.5). */
    private static final Set<String> NOT_MODIFIED_FIELDS = Set.of("cache-control", "content-location", "date", "etag",
            "expires", "vary", "last-modified", "cdn-cache-control");

    private final Set<String> neverSent;

    /** @param neverSent lower-case names of stored fields never sent to clients (e.g. Surrogate-Control) */
    public ResponseWriter(Set<String> neverSent) {
        this.neverSent = Set.copyOf(neverSent);
    }

    /**
     * Writes the response; completes with the number of body bytes sent. The caller has already
     * decided the object may be reused and passes the Cache-Status value and current age.
     */
    public Future<Long> serve(Context ctx, HttpServerRequest req, Fields request, StoredObject object, long age,
            String cacheStatus, String via) {
        HttpServerResponse resp = req.response();
        Answer answer = Answer.of(request, req.method() == HttpMethod.HEAD, object.entry(), object.body().length());
        writeHead(new ResponseHead(resp), answer, prepared(object.entry(), via), age, cacheStatus);
        if (!answer.sendsBody()) {
            return resp.end().map(0L);
        }
        if (answer.bodyLength() < 0) {
            resp.setChunked(true);
        }
        Promise<Long> done = Promise.promise();
        StoredBody.Reader reader = object.body().open(answer.first(), answer.last());
        BodyPump pump = new BodyPump(ctx, reader, resp, done);
        if (object.tier() == StoredObject.Tier.DISK && answer.bodyLength() >= 0
                && answer.bodyLength() <= VERIFIED_BEFORE_HEAD) {
            pump.readAllThenSend();
        } else {
            pump.pump(reader.next());
        }
        return done.future();
    }

    /**
     * Sends the rest of a response whose head and first body bytes are out already: what {@code reader}
     * reads, at the socket's pace, then the end. For a fill's leader whose client fell behind the origin
     * ({@link ProxyPipeline}): from there the client reads the fill's growing body in storage instead of
     * holding the origin back. Completes with the bytes sent from {@code reader}; a read that fails cuts the
     * response (a short body, never a wrong one) and fails the future.
     */
    public static Future<Long> continueBody(Context ctx, HttpServerResponse resp, StoredBody.Reader reader) {
        Promise<Long> done = Promise.promise();
        new BodyPump(ctx, reader, resp, done).pump(reader.next());
        return done.future();
    }

    /**
     * The same response as {@link #serve}, as messages for the socket, for an object of the memory tier
     * (its reads complete at once): the head, with the stored fields encoded once per entry, then the body
     * as slices of the stored chunks (no copy) or, for a body held in a file, as a region of that file
     * (sent with {@code sendfile(2)}: no copy through the process).
     *
     * @param close     add {@code Connection: close} (last, where Vert.x puts it)
     * @param sendFiles the connection can send file regions (not TLS: the bytes must pass the encryption)
     * @param out       receives {@link ByteBuf}s and {@link io.netty.channel.FileRegion}s to write in order,
     *                  each released by the write (or by the caller if this throws)
     * @return what was encoded, or {@code null}, having added nothing, when the body cannot be sent from
     *         here: it is held in a file and the connection cannot send files, or it was dropped from the
     *         tier since the lookup (the full lifecycle answers instead)
     * @throws IllegalArgumentException when the object is not of the memory tier
     */
    public Encoded encode(Fields request, boolean head, StoredObject object, long age, String cacheStatus, String via,
            boolean close, boolean sendFiles, ByteBufAllocator alloc, List<Object> out) {
        if (object.tier() != StoredObject.Tier.MEMORY) {
            throw new IllegalArgumentException("only bodies held in memory are encoded whole, not " + object.tier());
        }
        Answer answer = Answer.of(request, head, object.entry(), object.body().length());
        BodyBuffers body = answer.sendsBody() ? object.body().heldInMemoryAs(BodyBuffers.OF) : null;
        boolean fromFile = answer.sendsBody() && body == null;
        if (fromFile && !sendFiles) {
            return null;
        }
        EncodedHead bytes = new EncodedHead(alloc.directBuffer(ENCODED_HEAD_GUESS));
        StoredBody.FileLease lease = fromFile ? object.body().leaseFile() : null;
        if (fromFile && lease == null) {
            bytes.buf.release();
            return null;
        }
        out.add(bytes.buf); // the caller releases what is in out if this throws
        LeasedFileRegion file = lease == null ? null : new LeasedFileRegion(lease, answer.first(), answer.bodyLength());
        if (file != null) {
            out.add(file); // the head is written into its buffer before anything is sent
        }
        writeHead(bytes, answer, prepared(object.entry(), via), age, cacheStatus);
        if (close) {
            bytes.field(CONNECTION, CLOSE);
        }
        bytes.buf.writeShort(CRLF);
        if (!answer.sendsBody() || file != null) {
            return new Encoded(answer.status(), file == null ? 0 : answer.bodyLength());
        }
        long sliced = body.slices(answer.first(), answer.last(), out);
        if (sliced != answer.bodyLength()) {
            throw new IllegalStateException(sliced + " bytes sliced for a body of " + answer.bodyLength());
        }
        return new Encoded(answer.status(), answer.bodyLength());
    }

    /**
     * A memory body's chunks as Netty buffers, wrapped once per body ({@link StoredBody#heldInMemoryAs}) and
     * never released (the body's own memory outlives every write of it), so a hit costs one slice per
     * chunk sent and no reference counting shared between event loops.
     */
    record BodyBuffers(ByteBuf[] chunks, long[] starts) {
        static final Function<List<ByteBuffer>, BodyBuffers> OF = BodyBuffers::of;

        static BodyBuffers of(List<ByteBuffer> stored) {
            ByteBuf[] chunks = new ByteBuf[stored.size()];
            long[] starts = new long[stored.size()];
            long pos = 0;
            for (int i = 0; i < chunks.length; i++) {
                chunks[i] = Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(stored.get(i)));
                starts[i] = pos;
                pos += chunks[i].readableBytes();
            }
            return new BodyBuffers(chunks, starts);
        }

        /** Adds slices covering bytes {@code first..last} inclusive, in order; returns how many bytes they hold. */
        long slices(long first, long last, List<? super ByteBuf> out) {
            long from = first;
            for (int i = 0; i < chunks.length && first <= last; i++) {
                long end = starts[i] + chunks[i].readableBytes(); // exclusive
                if (first >= end) {
                    continue;
                }
                int offset = (int) (first - starts[i]);
                int length = (int) (Math.min(end - 1, last) - first + 1);
                out.add(chunks[i].slice(offset, length)); // absolute index: the wrappers' reader index stays 0
                first += length;
            }
            return first - from;
        }
    }

    /**
     * Bytes of a body's file, sent with {@code sendfile(2)}; holds the body's {@linkplain StoredBody#leaseFile
     * lease} until the socket is done with it (sent or failed), and leaves the channel open: it belongs to
     * the body.
     */
    static final class LeasedFileRegion extends DefaultFileRegion {
        private final StoredBody.FileLease lease;

        LeasedFileRegion(StoredBody.FileLease lease, long position, long count) {
            super(lease.channel(), position, count);
            this.lease = lease;
        }

        @Override
        protected void deallocate() {
            lease.close();
        }
    }

    /** What {@link #encode} answered: the status and how many body bytes follow the head. */
    public record Encoded(int status, long bodyBytes) {
    }

    /**
     * What a stored response answers to this request, before anything is written: RFC 9111 §4.3.2 the
     * client's own validators (304), then RFC 9110 §14.2 a single satisfiable range (206), with
     * If-Range (§13.1.5), or 416; else the stored status. 204 and 304 carry no Content-Length (§8.6).
     */
    private record Answer(int status, boolean notModified, String contentRange, long first, long last,
            boolean sendsBody, boolean sendsLength) {

        /**
         * For a GET, or a HEAD when {@code head} (the only methods answered from storage). A {@code length}
         * below 0 is a body still streaming in whose length is not known yet: it is sent whole, without
         * Content-Length (chunked), ignoring any Range (RFC 9110 §14.2 lets a server ignore it).
         */
        static Answer of(Fields request, boolean head, CacheEntry entry, long length) {
            if (entry.status() == 200 && Conditional.notModified(request, entry.headers())) {
                return new Answer(304, true, null, 0, -1, false, false);
            }
            int status = entry.status();
            if (length < 0) {
                boolean noContent = entry.status() == 204 || entry.status() == 304;
                return new Answer(status, false, null, 0, Long.MAX_VALUE, !head && !noContent, false);
            }
            long first = 0;
            long last = length - 1;
            String contentRange = null;
            String range = request.first("Range");
            if (range != null && !head && entry.status() == 200 && Conditional.ifRangeAllowsRange(request, entry.headers())) {
                ByteRange r = ByteRange.parse(range, length);
                if (r == ByteRange.UNSATISFIABLE) {
                    return new Answer(416, false, "bytes */" + length, 0, -1, false, true);
                }
                if (r != ByteRange.IGNORE) {
                    status = 206;
                    contentRange = r.contentRange(length);
                    first = r.first();
                    last = r.last();
                }
            }
            boolean noContent = entry.status() == 204 || entry.status() == 304;
            return new Answer(status, false, contentRange, first, last, !head && !noContent && last >= first,
                    !noContent);
        }

        /** Bytes of body sent, or -1 when not known yet (see {@link #of}). */
        long bodyLength() {
            return last == Long.MAX_VALUE ? -1 : last - first + 1;
        }
    }

    private static final AsciiString CONTENT_RANGE = AsciiString.cached("Content-Range");
    private static final AsciiString CONTENT_LENGTH = AsciiString.cached("Content-Length");
    private static final AsciiString CONNECTION = AsciiString.cached("Connection");
    private static final AsciiString CLOSE = AsciiString.cached("close");

    /** The head of a response, in this order: status, stored fields, Age, Cache-Status, Via, Content-Range, Content-Length. */
    private static void writeHead(HeadOut out, Answer answer, PreparedHead prepared, long age, String cacheStatus) {
        out.status(answer.status());
        out.lines(answer.notModified() ? prepared.notModified : prepared.full);
        out.field(AGE, age);
        out.field(CACHE_STATUS, cacheStatus);
        out.field(VIA, prepared.via);
        if (answer.contentRange() != null) {
            out.field(CONTENT_RANGE, answer.contentRange());
        }
        if (answer.sendsLength()) {
            out.field(CONTENT_LENGTH, answer.bodyLength());
        }
    }

    /** Where {@link #writeHead} puts a head: a Vert.x response, or bytes. */
    private interface HeadOut {
        void status(int code);

        void lines(Lines stored);

        void field(AsciiString name, CharSequence value);

        /** A field whose value is a non-negative integer (Age, Content-Length). */
        void field(AsciiString name, long value);
    }

    private record ResponseHead(HttpServerResponse resp) implements HeadOut {
        @Override
        public void status(int code) {
            resp.setStatusCode(code);
        }

        @Override
        public void lines(Lines stored) {
            stored.addTo(resp.headers());
        }

        @Override
        public void field(AsciiString name, CharSequence value) {
            resp.headers().set(name, value);
        }

        @Override
        public void field(AsciiString name, long value) {
            resp.headers().set(name, Long.toString(value));
        }
    }

    /** Large enough for a typical head (the buffer grows when it is not). */
    private static final int ENCODED_HEAD_GUESS = 512;
    private static final short CRLF = ('\r' << 8) | '\n';
    private static final short COLON_SP = (':' << 8) | ' ';

    /** An HTTP/1.1 head as bytes (RFC 9112 §4, §5), ISO-8859-1 like Netty's own encoder. */
    private record EncodedHead(ByteBuf buf) implements HeadOut {
        @Override
        public void status(int code) {
            buf.writeBytes(statusLine(code));
        }

        @Override
        public void lines(Lines stored) {
            buf.writeBytes(stored.encoded());
        }

        @Override
        public void field(AsciiString name, CharSequence value) {
            ByteBufUtil.copy(name, buf);
            buf.writeShort(COLON_SP);
            buf.writeCharSequence(value, StandardCharsets.ISO_8859_1);
            buf.writeShort(CRLF);
        }

        @Override
        public void field(AsciiString name, long value) {
            ByteBufUtil.copy(name, buf);
            buf.writeShort(COLON_SP);
            writeDecimal(buf, value);
            buf.writeShort(CRLF);
        }
    }

    /** {@code value} in decimal ASCII digits, written without a String in between. */
    static void writeDecimal(ByteBuf buf, long value) {
        if (value < 0) {
            buf.writeCharSequence(Long.toString(value), StandardCharsets.ISO_8859_1);
            return;
        }
        int digits = 1;
        for (long v = value / 10; v != 0; v /= 10) {
            digits++;
        }
        int end = buf.writerIndex() + digits;
        buf.ensureWritable(digits);
        for (int i = end - 1; i >= end - digits; i--) {
            buf.setByte(i, (int) ('0' + value % 10));
            value /= 10;
        }
        buf.writerIndex(end);
    }

    private static final byte[][] STATUS_LINES = new byte[600][];

    static {
        for (int code = 100; code < STATUS_LINES.length; code++) {
            STATUS_LINES[code] = encodeStatusLine(code);
        }
    }

    /** {@code HTTP/1.1 200 OK\r\n}, with Netty's reason phrases (those Vert.x sends). */
    private static byte[] statusLine(int code) {
        return code >= 100 && code < STATUS_LINES.length ? STATUS_LINES[code] : encodeStatusLine(code);
    }

    private static byte[] encodeStatusLine(int code) {
        return ("HTTP/1.1 " + HttpResponseStatus.valueOf(code) + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
    }

    /**
     * Streams a stored body: writes chunks while the socket accepts them, parks on the drain handler
     * when it does not, and resumes on the event loop when a chunk comes from another thread (disk
     * reads). The last chunk goes out with the end of the response, so a small body costs one write.
     */
    private static final class BodyPump {
        private final Context ctx;
        private final StoredBody.Reader reader;
        private final HttpServerResponse resp;
        private final Promise<Long> done;
        private long sent;
        /** The reader is closed: the body was sent, a read failed, or the client went away. */
        private boolean over;

        BodyPump(Context ctx, StoredBody.Reader reader, HttpServerResponse resp, Promise<Long> done) {
            this.ctx = ctx;
            this.reader = reader;
            this.resp = resp;
            this.done = done;
            // The connection closing before the end (client gone, write failed) ends the pump: Vert.x calls
            // no drain handler then, and the reader must still be closed (it may hold a body's file).
            resp.exceptionHandler(err -> clientGone());
        }

        void pump(CompletableFuture<ByteBuffer> next) {
            while (!over) {
                if (!next.isDone()) {
                    CompletableFuture<ByteBuffer> pending = next;
                    pending.whenComplete((c, e) -> ctx.runOnContext(v -> pump(pending)));
                    return;
                }
                ByteBuffer chunk;
                try {
                    chunk = next.join();
                } catch (RuntimeException e) {
                    fail(e);
                    return;
                }
                if (chunk == null) {
                    finish(null);
                    return;
                }
                sent += chunk.remaining();
                next = reader.next();
                if (next.isDone() && !next.isCompletedExceptionally() && next.getNow(null) == null) {
                    finish(chunk);
                    return;
                }
                resp.write(buffer(chunk));
                if (resp.writeQueueFull()) {
                    CompletableFuture<ByteBuffer> after = next;
                    resp.drainHandler(v -> pump(after));
                    return;
                }
            }
        }

        /**
         * Asks for every chunk at once (the reads run in parallel on the tier's threads) and writes the
         * head and the body only once all of them arrived intact; any failure is reported before
         * anything was sent.
         */
        void readAllThenSend() {
            List<CompletableFuture<ByteBuffer>> reads = new ArrayList<>();
            for (CompletableFuture<ByteBuffer> f = reader.next(); !isEnd(f); f = reader.next()) {
                reads.add(f);
            }
            CompletableFuture.allOf(reads.toArray(new CompletableFuture<?>[0])).whenComplete((v, err) ->
                    ctx.runOnContext(x -> {
                        if (over) {
                            return;
                        }
                        if (err != null) {
                            fail(err);
                            return;
                        }
                        for (int i = 0; i < reads.size() - 1; i++) {
                            ByteBuffer chunk = reads.get(i).join();
                            sent += chunk.remaining();
                            resp.write(buffer(chunk));
                        }
                        ByteBuffer last = reads.isEmpty() ? null : reads.get(reads.size() - 1).join();
                        if (last != null) {
                            sent += last.remaining();
                        }
                        finish(last);
                    }));
        }

        private static boolean isEnd(CompletableFuture<ByteBuffer> f) {
            return f.isDone() && !f.isCompletedExceptionally() && f.getNow(null) == null;
        }

        private void finish(ByteBuffer last) {
            over = true;
            reader.close();
            Future<Void> end = last == null ? resp.end() : resp.end(buffer(last));
            end.onComplete(ar -> done.tryComplete(sent));
        }

        /**
         * Nothing sent yet: the caller may still answer from the origin. Otherwise the response is cut.
         * Fails {@code done} with the read's own exception, not the future's wrapper.
         */
        private void fail(Throwable err) {
            over = true;
            reader.close();
            if (resp.headWritten()) {
                resp.reset();
            }
            done.tryFail(err instanceof java.util.concurrent.CompletionException && err.getCause() != null
                    ? err.getCause() : err);
        }

        /** Not a storage failure: the response just ends here, with what was sent. */
        private void clientGone() {
            if (!over) {
                over = true;
                reader.close();
                done.tryComplete(sent);
            }
        }

        private static Buffer buffer(ByteBuffer chunk) {
            return BufferInternal.buffer(Unpooled.wrappedBuffer(chunk));
        }
    }

    /**
     * The stored fields to send, filtered and converted to pre-hashed ASCII strings once per stored
     * entry instead of on every hit (entries are immutable; a new entry after a 304 gets its own).
     */
    private PreparedHead prepared(CacheEntry entry, String via) {
        PreparedHead known = preparedHeads.getIfPresent(entry); // a hit: no capturing function made
        return known != null ? known : preparedHeads.get(entry, e -> new PreparedHead(e, neverSent, via));
    }

    private final com.github.benmanes.caffeine.cache.Cache<CacheEntry, PreparedHead> preparedHeads =
            com.github.benmanes.caffeine.cache.Caffeine.newBuilder()
                    .weakKeys() // identity, and gone with the entry
                    .executor(Runnable::run)
                    .build();

    private static final AsciiString AGE = AsciiString.cached("Age");
    private static final AsciiString CACHE_STATUS = AsciiString.cached("Cache-Status");
    private static final AsciiString VIA = AsciiString.cached("Via");


    /**
     * Header lines ready to add: names and values as AsciiStrings (hash computed once), and the same
     * lines encoded ({@code name: value CRLF} each) for {@link #encode}.
     */
    private record Lines(AsciiString[] names, AsciiString[] values, byte[] encoded) {
        static Lines of(List<AsciiString> names, List<AsciiString> values) {
            ByteBuf bytes = Unpooled.buffer();
            for (int i = 0; i < names.size(); i++) {
                ByteBufUtil.copy(names.get(i), bytes);
                bytes.writeShort(COLON_SP);
                ByteBufUtil.copy(values.get(i), bytes);
                bytes.writeShort(CRLF);
            }
            return new Lines(names.toArray(new AsciiString[0]), values.toArray(new AsciiString[0]),
                    ByteBufUtil.getBytes(bytes));
        }

        void addTo(MultiMap out) {
            for (int i = 0; i < names.length; i++) {
                out.add(names[i], values[i]);
            }
        }
    }

    private static final class PreparedHead {
        final Lines full;
        final Lines notModified;
        final AsciiString via;

        PreparedHead(CacheEntry entry, Set<String> neverSent, String ourVia) {
            List<AsciiString> names = new ArrayList<>();
            List<AsciiString> values = new ArrayList<>();
            List<AsciiString> nmNames = new ArrayList<>();
            List<AsciiString> nmValues = new ArrayList<>();
            StringBuilder upstreamVia = new StringBuilder();
            entry.headers().forEach((n, v) -> {
                String lower = n.toLowerCase(Locale.ROOT);
                if (lower.equals("via")) {
                    upstreamVia.append(upstreamVia.length() == 0 ? "" : ", ").append(v);
                    return;
                }
                // Content-Range: only this writer's own answer has one (RFC 9110 §14.4: it means nothing on a 200)
                if (neverSent.contains(lower) || lower.equals("age") || lower.equals("content-length")
                        || lower.equals("cache-status") || lower.equals("content-range")) {
                    return;
                }
                AsciiString name = new AsciiString(n);
                AsciiString value = new AsciiString(v);
                names.add(name);
                values.add(value);
                if (NOT_MODIFIED_FIELDS.contains(lower)) {
                    nmNames.add(name);
                    nmValues.add(value);
                }
            });
            this.full = Lines.of(names, values);
            this.notModified = Lines.of(nmNames, nmValues);
            this.via = new AsciiString(upstreamVia.length() == 0 ? ourVia : upstreamVia + ", " + ourVia);
        }
    }
}
