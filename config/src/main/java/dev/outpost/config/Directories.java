package dev.outpost.config;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Checks that a configured data directory is usable: it exists as a readable and writable directory,
 * or it does not exist and its nearest existing parent is a writable directory (so it can be created).
 * Relative paths are resolved against the working directory. Nothing is created here.
 */
final class Directories {

    private Directories() {
    }

    /** Empty if {@code dir} is usable, else the reason it is not. */
    static Optional<String> problem(Path dir) {
        if (Files.exists(dir)) {
            if (!Files.isDirectory(dir)) {
                return Optional.of("it exists but is not a directory");
            }
            if (!Files.isReadable(dir) || !Files.isWritable(dir)) {
                return Optional.of("the directory is not readable and writable");
            }
            return Optional.empty();
        }
        Path parent = dir.getParent();
        while (parent != null && !Files.exists(parent)) {
            parent = parent.getParent();
        }
        if (parent == null) {
            return Optional.of("it does not exist and none of its parents does");
        }
        if (!Files.isDirectory(parent)) {
            return Optional.of("it cannot be created because " + parent + " is not a directory");
        }
        if (!Files.isWritable(parent)) {
            return Optional.of("it does not exist and cannot be created because " + parent + " is not writable");
        }
        return Optional.empty();
    }

    /**
     * A converter from a string to a usable directory, absolute and normalized.
     *
     * @param what how messages name it, e.g. "disk path"
     */
    static Converter<Path> writableDirectory(String what) {
        return Converters.string().map("a directory path", text -> {
            Path dir;
            try {
                dir = Path.of(text).toAbsolutePath().normalize();
            } catch (InvalidPathException e) {
                throw new Converter.BadValue(e.getReason());
            }
            Optional<String> problem = problem(dir);
            if (problem.isPresent()) {
                throw new Converter.Rejected("unreadable/unwritable " + what + " " + dir + ": " + problem.get());
            }
            return dir;
        });
    }
}
