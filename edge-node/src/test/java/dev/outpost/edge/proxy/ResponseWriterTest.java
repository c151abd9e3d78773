package dev.outpost.edge.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The integer field values of a head written as bytes (RFC 9111 §5.1 Age, RFC 9110 §8.6 Content-Length). */
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
}
