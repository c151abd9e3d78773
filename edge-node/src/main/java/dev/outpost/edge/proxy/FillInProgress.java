package dev.outpost.edge.proxy;

import dev.outpost.edge.storage.StoredBody;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The body of a fill in progress, for collapsed followers to read along while the leader's fetch streams
 * it from the origin (ARCHITECTURE §1 "the others wait or stream along"; Varnish streams a busy object to
 * its waiting list the same way), instead of waiting for the whole body to be stored.
 *
 * <p>Made when requests wait at the head and the body fits; then every request for the whole body reads it
 * while the fill streams (those arriving later too), whatever becomes of the stored copies. Requests asking
 * for a range, or waiting for a larger or chunked body, read the disk tier's
 * {@linkplain dev.outpost.edge.storage.ObjectWriter#growingBody growing body} instead, when there is one.
 * Bounded: {@link ProxyPipeline} makes one only for a storable 200 whose {@code Content-Length} is known
 * and at most the memory tier's object limit, only when followers were waiting as its head arrived, and
 * only while all fills read along hold less than a budget of a few such objects in all (reserved when
 * offered, given back by {@code released} once the fill is over and its last reader closed). The chunks
 * are copied into the heap as they come. A follower reads at its own pace (its socket's back-pressure)
 * and never holds the fill back; nor does the leader's client while a fill is read along (its response
 * queues at most the rest of this bounded body), so one slow client cannot slow every request for the
 * object.
 *
 * <p>Read whole, in the chunks the origin sent: {@link #open} takes the full range only (followers asking
 * for a range wait for the stored object instead). Thread-safe: the leader appends on its event loop, a
 * reader's futures complete there or at once, and {@link ResponseWriter} hops back to the reader's own.
 * A body that ends short of its length, or whose fetch fails, fails its readers with
 * {@link StoredBody.BodyDropped}: their responses are cut (a short body, never a wrong one), as the
 * leader's own is.
 */
final class FillInProgress implements StoredBody {

    private final long length;
    /** Called once when the fill is over and its last reader closed: its bytes are garbage from then on. */
    private final Runnable released;
    private final List<ByteBuffer> chunks = new ArrayList<>();
    private final List<Pending> pending = new ArrayList<>();
    private long received;
    private boolean ended;
    private RuntimeException failure;
    private int openReaders;
    private boolean releaseDone;

    /** A reader's ask for chunk {@code index}, not there yet. */
    private record Pending(int index, CompletableFuture<ByteBuffer> future) {
    }

    /** @param released called once when the fill is over (ended or failed) and no reader is open */
    FillInProgress(long length, Runnable released) {
        if (length <= 0) {
            throw new IllegalArgumentException("a fill read along has a known, non-zero length: " + length);
        }
        this.length = length;
        this.released = released;
    }

    /** Leader: the next chunk from the origin (copied). */
    void append(ByteBuffer chunk) {
        ByteBuffer copy = ByteBuffer.allocate(chunk.remaining()).put(chunk.duplicate()).flip().asReadOnlyBuffer();
        List<Pending> ready = new ArrayList<>(1);
        boolean overlong = false;
        synchronized (this) {
            if (ended || failure != null) {
                return;
            }
            if (received + copy.remaining() > length) {
                overlong = true;
                failure = new BodyDropped("the origin sent more than its Content-Length " + length);
                ready.addAll(pending);
                pending.clear();
            } else {
                chunks.add(copy);
                received += copy.remaining();
                pending.removeIf(p -> p.index() < chunks.size() && ready.add(p));
            }
        }
        ready.forEach(this::answer);
        if (overlong) {
            releaseIfDone();
        }
    }

    /** Leader: the origin's body ended. */
    void end() {
        finish(null);
    }

    /** Leader: the origin's body failed (or the fill was given up). */
    void fail(String why) {
        finish(new BodyDropped(why));
    }

    private void finish(RuntimeException failed) {
        List<Pending> ready;
        synchronized (this) {
            if (ended || failure != null) {
                return;
            }
            if (failed == null && received != length) {
                failed = new BodyDropped("the origin's body ended after " + received + " of " + length + " bytes");
            }
            if (failed == null) {
                ended = true;
            } else {
                failure = failed;
            }
            ready = new ArrayList<>(pending);
            pending.clear();
        }
        ready.forEach(this::answer);
        releaseIfDone();
    }

    /** Runs {@link #released} once the fill is over and no reader is open. */
    private void releaseIfDone() {
        synchronized (this) {
            if (releaseDone || openReaders > 0 || !(ended || failure != null)) {
                return;
            }
            releaseDone = true;
        }
        released.run();
    }

    /** Completes {@code p} with what is known now: its chunk, the end, or the failure. Outside the lock. */
    private void answer(Pending p) {
        CompletableFuture<ByteBuffer> now = chunk(p.index());
        now.whenComplete((chunk, err) -> {
            if (err != null) {
                p.future().completeExceptionally(err);
            } else {
                p.future().complete(chunk);
            }
        });
    }

    private synchronized CompletableFuture<ByteBuffer> chunk(int index) {
        if (index < chunks.size()) {
            return CompletableFuture.completedFuture(chunks.get(index).duplicate());
        }
        if (failure != null) {
            return CompletableFuture.failedFuture(failure);
        }
        if (ended) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<ByteBuffer> later = new CompletableFuture<>();
        pending.add(new Pending(index, later));
        return later;
    }

    @Override
    public long length() {
        return length;
    }

    @Override
    public Reader open(long first, long last) {
        if (first != 0 || last != length - 1) {
            throw new IllegalArgumentException("a fill in progress is read whole, not " + first + "-" + last);
        }
        synchronized (this) {
            openReaders++;
        }
        return new Reader() {
            private int next;
            private boolean closed;

            @Override
            public CompletableFuture<ByteBuffer> next() {
                return chunk(next++);
            }

            @Override
            public void close() {
                synchronized (FillInProgress.this) {
                    if (closed) {
                        return;
                    }
                    closed = true;
                    openReaders--;
                }
                releaseIfDone();
            }
        };
    }
}
