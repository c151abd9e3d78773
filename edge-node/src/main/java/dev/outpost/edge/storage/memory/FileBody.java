package dev.outpost.edge.storage.memory;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A body of the memory tier held in a file of a memory filesystem (tmpfs), so that a hit can be sent
 * with {@code sendfile(2)} from the file's pages instead of being copied from the process into the
 * socket: for large objects that copy is most of the CPU a hit costs (measured in load-tests/bench).
 *
 * <p><b>Lifetime.</b> The file is unlinked as soon as it is open: it has no name, only this body's
 * channel, so a crash or kill leaves nothing behind and no directory needs cleaning at start. The tier
 * holds one reference; every {@linkplain #leaseFile lease} and {@linkplain #open reader} holds another.
 * When the tier drops the body ({@link #release}) and the last send is over, the channel is closed and
 * the filesystem frees the pages at once: a file-backed body costs memory exactly as long as something
 * uses it, never until a garbage collection. A lease or reader asked for after the body was dropped
 * and released is refused (the caller looked it up just before an eviction and answers otherwise).
 */
final class FileBody implements TierBody {

    /** Bytes a reader returns at a time. */
    private static final int READ_CHUNK = 64 * 1024;

    private final FileChannel channel;
    private final long length;
    /** 1 for the tier + 1 per open lease or reader; 0 once closed (never revived). */
    private final AtomicInteger refs = new AtomicInteger(1);
    /** The tier's reference was given back ({@link #release} is idempotent). */
    private final AtomicBoolean released = new AtomicBoolean();
    private final AtomicLong liveFileBytes;

    private FileBody(FileChannel channel, long length, AtomicLong liveFileBytes) {
        this.channel = channel;
        this.length = length;
        this.liveFileBytes = liveFileBytes;
    }

    /**
     * Writes {@code chunks} to a new nameless file in {@code dir}.
     *
     * @param liveFileBytes counts the bytes of every open body file (added as written, subtracted when closed)
     * @throws IOException when the file cannot be created or written (e.g. the filesystem is full); nothing
     *                     is left behind
     */
    static FileBody write(Path dir, byte[][] chunks, AtomicLong liveFileBytes) throws IOException {
        long length = 0;
        for (byte[] chunk : chunks) {
            length += chunk.length;
        }
        return Filling.start(dir, liveFileBytes, List.of(chunks), length).complete();
    }

    /**
     * A body's nameless file while the body streams in (a fill from the origin), so that a large body never
     * gathers in the heap first. {@link #complete} makes it a body, {@link #discard} frees it.
     */
    static final class Filling {
        private final FileChannel channel;
        private final AtomicLong liveFileBytes;
        private long length;
        /** Completed or discarded: the file is no longer this filling's. */
        private boolean over;

        private Filling(FileChannel channel, AtomicLong liveFileBytes) {
            this.channel = channel;
            this.liveFileBytes = liveFileBytes;
        }

        /**
         * A new file in {@code dir}, unlinked at once, holding {@code first} (the bytes gathered so far);
         * nothing is left behind if this throws.
         *
         * <p>When the body's length is known the file is given that size before anything is written. The
         * size itself costs no memory (the file is sparse), but it lets a tmpfs mounted with
         * {@code huge=within_size} back the file with the largest folios that fit inside it, whatever the size
         * of the writes (Linux 6.18; before 6.14 only 2 MiB folios, and in between no larger than each write):
         * {@code sendfile(2)} then handles one folio where it handled 64 pages of 4 KiB (measured in
         * load-tests/bench: 14-16 % less CPU per 256 KiB and 4 MiB hit). A fill in flight holds at most one
         * folio more than its bytes written (the folio being filled).
         *
         * @param liveFileBytes counts the bytes of every open body file, filled or being filled
         * @param expectedLength the body's final length, or -1 when not known
         */
        static Filling start(Path dir, AtomicLong liveFileBytes, List<byte[]> first, long expectedLength)
                throws IOException {
            Path path = Files.createTempFile(dir, "outpost-body-", "");
            FileChannel channel = null;
            try {
                // the channel keeps the RandomAccessFile (and so its descriptor) reachable; closing it closes both
                RandomAccessFile file = new RandomAccessFile(path.toFile(), "rw");
                channel = file.getChannel();
                Files.delete(path); // from here the file has no name: closing the channel frees it
                if (expectedLength > 0) {
                    file.setLength(expectedLength);
                }
            } catch (IOException | RuntimeException e) {
                if (channel != null) {
                    closeQuietly(channel);
                }
                Files.deleteIfExists(path);
                throw e;
            }
            Filling filling = new Filling(channel, liveFileBytes);
            try {
                for (byte[] chunk : first) {
                    filling.append(ByteBuffer.wrap(chunk));
                }
            } catch (IOException | RuntimeException e) {
                filling.discard();
                throw e;
            }
            return filling;
        }

        /** Appends the remaining bytes of {@code src} (its position is not moved). */
        void append(ByteBuffer src) throws IOException {
            checkNotOver();
            ByteBuffer bytes = src.duplicate();
            while (bytes.hasRemaining()) {
                int n = channel.write(bytes, length);
                length += n;
                liveFileBytes.addAndGet(n);
            }
        }

        /** The file; its first {@link #length} bytes are the body's so far. Not to be closed by the caller. */
        FileChannel channel() {
            return channel;
        }

        /** Bytes appended so far. */
        long length() {
            return length;
        }

        /** The body of the bytes appended (still counted in the live bytes until the body is closed). */
        FileBody complete() {
            checkNotOver();
            over = true;
            return new FileBody(channel, length, liveFileBytes);
        }

        void discard() {
            checkNotOver();
            over = true;
            liveFileBytes.addAndGet(-length);
            length = 0;
            closeQuietly(channel);
        }

        private void checkNotOver() {
            if (over) {
                throw new IllegalStateException("this body file was already completed or discarded");
            }
        }
    }

    @Override
    public long length() {
        return length;
    }

    /** The channel and a few objects around it. */
    @Override
    public long heapBytes() {
        return 512;
    }

    @Override
    public void release() {
        if (released.compareAndSet(false, true)) {
            unref();
        }
    }

    @Override
    public FileLease leaseFile() {
        return retain() ? new Lease() : null;
    }

    /** Reads from the file, a chunk at a time, into new heap buffers (for connections that cannot send files). */
    @Override
    public Reader open(long first, long last) {
        if (first < 0 || last >= length || first > last + 1) {
            throw new IndexOutOfBoundsException("range " + first + "-" + last + " of " + length);
        }
        Lease lease = retain() ? new Lease() : null;
        return new Reader() {
            long pos = first;

            @Override
            public CompletableFuture<ByteBuffer> next() {
                if (lease == null) {
                    return CompletableFuture.failedFuture(new BodyDropped(
                            "the body was dropped from the memory tier before it could be read"));
                }
                if (pos > last) {
                    return CompletableFuture.completedFuture(null);
                }
                ByteBuffer chunk = ByteBuffer.allocate((int) Math.min(READ_CHUNK, last - pos + 1));
                try {
                    readFully(channel, chunk, pos);
                } catch (IOException e) {
                    return CompletableFuture.failedFuture(new UncheckedIOException(e));
                }
                pos += chunk.capacity();
                return CompletableFuture.completedFuture(chunk.flip().asReadOnlyBuffer());
            }

            @Override
            public void close() {
                pos = last + 1;
                if (lease != null) {
                    lease.close();
                }
            }
        };
    }

    /**
     * Fills {@code into}'s remaining bytes from {@code channel}, its position {@code at} and on.
     *
     * @throws IOException when the file ends first, or cannot be read
     */
    static void readFully(FileChannel channel, ByteBuffer into, long at) throws IOException {
        long start = at - into.position();
        while (into.hasRemaining()) {
            if (channel.read(into, start + into.position()) < 0) {
                throw new IOException("a body file ended at " + (start + into.position()));
            }
        }
    }

    /** Whether the channel is still open (tests: a dropped body frees its file once nothing uses it). */
    boolean isOpen() {
        return channel.isOpen();
    }

    private boolean retain() {
        for (int n = refs.get(); n > 0; n = refs.get()) {
            if (refs.compareAndSet(n, n + 1)) {
                return true;
            }
        }
        return false;
    }

    private void unref() {
        int left = refs.decrementAndGet();
        if (left == 0) {
            liveFileBytes.addAndGet(-length);
            closeQuietly(channel);
        } else if (left < 0) {
            throw new IllegalStateException("a file body was released more often than it was held");
        }
    }

    /** Closing a nameless file does not fail in practice; the kernel frees it with the descriptor anyway. */
    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            // nothing is left to free
        }
    }

    private final class Lease implements FileLease {
        private final AtomicBoolean open = new AtomicBoolean(true);

        @Override
        public FileChannel channel() {
            return channel;
        }

        @Override
        public void close() {
            if (open.getAndSet(false)) {
                unref();
            }
        }
    }
}
