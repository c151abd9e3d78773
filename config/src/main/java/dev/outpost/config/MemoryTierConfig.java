package dev.outpost.config;

import java.nio.file.Path;
import java.util.Optional;

/**
 * {@code cache.memory}.
 *
 * @param maxSize       {@code max-size}, bytes, default 256MiB, &gt; 0: every body and its metadata,
 *                      whether the body is in direct buffers or in a file
 * @param maxObjectSize {@code max-object-size}, bytes, default 8MiB (or max-size if smaller), &gt; 0, at most
 *                      max-size; larger objects skip memory
 * @param fileDir       {@code file-dir}: the directory of a memory filesystem (tmpfs) where bodies of at
 *                      least {@code fileMinSize} bytes are kept as files and sent with {@code sendfile(2)};
 *                      default {@code /dev/shm} when that is a writable directory; empty when there is
 *                      none or {@code file-min-size} is 0 (every body in direct buffers)
 * @param fileMinSize   {@code file-min-size}, bytes, default 128KiB; 0 turns files off
 */
public record MemoryTierConfig(long maxSize, long maxObjectSize, Optional<Path> fileDir, long fileMinSize) {

    /** Where file bodies go unless {@code file-dir} says otherwise (and when it is usable). */
    public static final Path DEFAULT_FILE_DIR = Path.of("/dev/shm");
    public static final long DEFAULT_FILE_MIN_SIZE = 128 * ByteSize.KIB;

    /** Every body in direct buffers. */
    public MemoryTierConfig(long maxSize, long maxObjectSize) {
        this(maxSize, maxObjectSize, Optional.empty(), 0);
    }

    public MemoryTierConfig {
        if (fileDir.isPresent() != (fileMinSize > 0)) {
            throw new IllegalArgumentException("a file-dir goes with a file-min-size above 0, and no file-dir with 0");
        }
    }

    /** Whether large bodies are kept as files. */
    public boolean filesEnabled() {
        return fileDir.isPresent();
    }
}
