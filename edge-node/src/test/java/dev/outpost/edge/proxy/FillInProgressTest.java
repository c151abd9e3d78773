package dev.outpost.edge.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.outpost.edge.storage.StoredBody;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

/** A fill read along by collapsed followers: chunks as they come, the end, failures, read-ahead. */
class FillInProgressTest {

    private static ByteBuffer bytes(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.US_ASCII));
    }

    private static String text(CompletableFuture<ByteBuffer> f) {
        ByteBuffer b = f.join();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return new String(out, StandardCharsets.US_ASCII);
    }

    @Test
    void readersGetEveryChunkInOrderWhetherTheyComeEarlyOrLate() {
        FillInProgress fill = new FillInProgress(6, () -> { });
        StoredBody.Reader early = fill.open(0, 5);
        CompletableFuture<ByteBuffer> first = early.next();
        CompletableFuture<ByteBuffer> second = early.next(); // read-ahead
        assertFalse(first.isDone());
        ByteBuffer origin = bytes("abc");
        fill.append(origin);
        assertEquals(3, origin.remaining(), "the leader's buffer is left as it was (the writer reads it too)");
        assertEquals("abc", text(first));
        assertFalse(second.isDone());
        fill.append(bytes("def"));
        assertEquals("def", text(second));
        CompletableFuture<ByteBuffer> end = early.next();
        assertFalse(end.isDone(), "not ended yet: more could come");
        fill.end();
        assertNull(end.join());

        StoredBody.Reader late = fill.open(0, 5);
        assertEquals("abc", text(late.next()));
        assertEquals("def", text(late.next()));
        assertNull(late.next().join());
    }

    @Test
    void aBodyThatEndsShortOrFailsCutsItsReaders() {
        FillInProgress shortBody = new FillInProgress(6, () -> { });
        StoredBody.Reader r = shortBody.open(0, 5);
        shortBody.append(bytes("abc"));
        assertEquals("abc", text(r.next()));
        CompletableFuture<ByteBuffer> waiting = r.next();
        shortBody.end();
        ExecutionException e = assertThrows(ExecutionException.class, waiting::get);
        assertInstanceOf(StoredBody.BodyDropped.class, e.getCause());
        assertTrue(e.getCause().getMessage().contains("after 3 of 6 bytes"), e.getCause().getMessage());

        FillInProgress failed = new FillInProgress(6, () -> { });
        CompletableFuture<ByteBuffer> pending = failed.open(0, 5).next();
        failed.fail("the origin's body failed: reset");
        assertInstanceOf(StoredBody.BodyDropped.class, assertThrows(ExecutionException.class, pending::get).getCause());
        assertTrue(failed.open(0, 5).next().isCompletedExceptionally(), "later readers fail too");
    }

    @Test
    void moreThanTheLengthIsAFailure() {
        FillInProgress fill = new FillInProgress(2, () -> { });
        CompletableFuture<ByteBuffer> pending = fill.open(0, 1).next();
        fill.append(bytes("abc"));
        assertInstanceOf(StoredBody.BodyDropped.class, assertThrows(ExecutionException.class, pending::get).getCause());
    }

    @Test
    void itsBytesAreGivenBackOnceTheFillIsOverAndItsLastReaderClosed() {
        java.util.concurrent.atomic.AtomicInteger released = new java.util.concurrent.atomic.AtomicInteger();
        FillInProgress fill = new FillInProgress(3, released::incrementAndGet);
        StoredBody.Reader a = fill.open(0, 2);
        StoredBody.Reader b = fill.open(0, 2);
        fill.append(bytes("abc"));
        fill.end();
        a.close();
        a.close();
        assertEquals(0, released.get(), "b still reads");
        b.close();
        assertEquals(1, released.get());
        fill.fail("late");
        assertEquals(1, released.get(), "once");

        FillInProgress unread = new FillInProgress(3, released::incrementAndGet);
        unread.fail("the origin's body failed");
        assertEquals(2, released.get(), "nobody read it: given back when it failed");
    }

    @Test
    void onlyTheWholeBodyIsRead() {
        FillInProgress fill = new FillInProgress(6, () -> { });
        assertThrows(IllegalArgumentException.class, () -> fill.open(2, 5));
        assertThrows(IllegalArgumentException.class, () -> new FillInProgress(0, () -> { }));
    }
}
