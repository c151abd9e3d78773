package dev.outpost.edge.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Pieces of a response written as bytes: the integer field values (RFC 9111 §5.1 Age, RFC 9110 §8.6
 * Content-Length) and the body slices of a byte range (RFC 9110 §14.1.2, first and last inclusive).
 */
class ResponseWriterTest {

    private static String decimal(long value, int initialCapacity) {
        ByteBuf buf = Unpooled.buffer(initialCapacity);
        buf.writeByte('[');
        ResponseWriter.writeDecimal(buf, value);
        buf.writeByte(']');
        return buf.toString(StandardCharsets.ISO_8859_1);
    }

    @Test
    void integersAreWrittenAsTheirDecimalDigits() {
        for (long v : new long[] {0, 7, 9, 10, 99, 100, 3599, 1_000_000, 4_294_967_296L, Long.MAX_VALUE, -1}) {
            assertEquals("[" + v + "]", decimal(v, 64), "value " + v);
        }
    }

    @Test
    void theBufferGrowsWhenTheDigitsDoNotFit() {
        assertEquals("[" + Long.MAX_VALUE + "]", decimal(Long.MAX_VALUE, 2));
    }

    private static final String BODY = "0123456789abcdefghijklmnopqrstuvwxyz"; // chunks of 10, 10, 10 and 6

    private static ResponseWriter.BodyBuffers chunked() {
        List<ByteBuffer> chunks = new ArrayList<>();
        for (int at = 0; at < BODY.length(); at += 10) {
            byte[] part = BODY.substring(at, Math.min(BODY.length(), at + 10)).getBytes(StandardCharsets.US_ASCII);
            chunks.add(ByteBuffer.allocateDirect(part.length).put(part).flip().asReadOnlyBuffer());
        }
        return ResponseWriter.BodyBuffers.of(chunks);
    }

    @Test
    void aRangeIsSlicedFromExactlyTheChunksThatHoldIt() {
        ResponseWriter.BodyBuffers body = chunked();
        long[][] ranges = {{0, 35}, {0, 0}, {35, 35}, {9, 10}, {10, 19}, {5, 24}, {19, 20}, {30, 35}, {29, 29}};
        int[] slices = {4, 1, 1, 2, 1, 3, 2, 1, 1};
        for (int i = 0; i < ranges.length; i++) {
            long first = ranges[i][0];
            long last = ranges[i][1];
            List<ByteBuf> out = new ArrayList<>();
            assertEquals(last - first + 1, body.slices(first, last, out), first + "-" + last);
            StringBuilder got = new StringBuilder();
            out.forEach(b -> got.append(b.toString(StandardCharsets.US_ASCII)));
            assertEquals(BODY.substring((int) first, (int) last + 1), got.toString(), first + "-" + last);
            assertEquals(slices[i], out.size(), first + "-" + last + ": one slice per chunk touched");
        }
    }

    @Test
    void slicesLeaveTheSharedChunksAsTheyWere() {
        ResponseWriter.BodyBuffers body = chunked();
        List<ByteBuf> out = new ArrayList<>();
        body.slices(0, 35, out);
        out.forEach(b -> {
            b.skipBytes(b.readableBytes()); // what a socket write does to what it wrote
            b.release();
        });
        List<ByteBuf> again = new ArrayList<>();
        body.slices(0, 35, again);
        StringBuilder got = new StringBuilder();
        again.forEach(b -> got.append(b.toString(StandardCharsets.US_ASCII)));
        assertEquals(BODY, got.toString(), "the next hit sends the same bytes");
    }
}
