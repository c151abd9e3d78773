package dev.outpost.edge.storage.memory;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The tmpfs mount a directory is on, as {@code /proc/self/mounts} lists it (fstab(5) format: device, mount
 * point, type, options, with spaces and tabs in paths written as octal escapes), for the one option that
 * matters to the memory tier's body files: {@code huge=}. With {@code huge=within_size} a file given its length
 * before it is written is backed by large folios that never reach past its end, and {@code sendfile(2)} from it
 * costs less per byte (see {@link FileBody}); {@code huge=always} (or the host's {@code shmem_enabled} set to
 * {@code force}) may give a small file a whole 2 MiB folio, memory the tier does not count. Pure parsing, no I/O.
 *
 * @param mountPoint where the tmpfs is mounted
 * @param huge       the {@code huge=} option, {@code never} when absent (tmpfs's default)
 */
public record TmpfsMount(Path mountPoint, String huge) {

    /**
     * The tmpfs mount holding {@code dir} (an absolute, real path): the one with the longest mount point
     * that contains it, the last listed if several are stacked there; empty when that mount is not a tmpfs.
     */
    public static Optional<TmpfsMount> of(Path dir, List<String> mountsLines) {
        Path best = null;
        String bestType = null;
        String bestOptions = null;
        for (String line : mountsLines) {
            String[] fields = line.trim().split("\\s+");
            if (fields.length < 4) {
                continue;
            }
            Path mountPoint;
            try {
                mountPoint = Path.of(unescape(fields[1]));
            } catch (InvalidPathException e) {
                continue;
            }
            if (dir.startsWith(mountPoint)
                    && (best == null || mountPoint.getNameCount() >= best.getNameCount())) {
                best = mountPoint;
                bestType = fields[2];
                bestOptions = fields[3];
            }
        }
        if (best == null || !"tmpfs".equals(bestType)) {
            return Optional.empty();
        }
        String huge = "never";
        for (String option : bestOptions.split(",")) {
            if (option.startsWith("huge=")) {
                huge = option.substring("huge=".length());
            }
        }
        return Optional.of(new TmpfsMount(best, huge));
    }

    /**
     * The {@code huge=} behaviour in effect, given the host's {@code /sys/kernel/mm/transparent_hugepage/shmem_enabled}
     * (its text, or empty when unknown): {@code deny} turns large folios off on every tmpfs, {@code force} on.
     */
    public String effectiveHuge(String hostShmemEnabled) {
        return switch (selectedOption(hostShmemEnabled)) {
            case "deny" -> "never";
            case "force" -> "always";
            default -> huge;
        };
    }

    /** The bracketed choice of a sysfs option list such as {@code "always within_size advise [never] deny force"}. */
    static String selectedOption(String sysfsText) {
        int open = sysfsText.indexOf('[');
        int close = sysfsText.indexOf(']', open + 1);
        return open >= 0 && close > open ? sysfsText.substring(open + 1, close) : "";
    }

    /** Decodes fstab(5)'s octal escapes ({@code \040} for a space, {@code \011} a tab, {@code \134} a backslash). */
    private static String unescape(String field) {
        if (field.indexOf('\\') < 0) {
            return field;
        }
        StringBuilder out = new StringBuilder(field.length());
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && isOctal(field, i + 1)) {
                out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static boolean isOctal(String s, int from) {
        if (from + 3 > s.length()) {
            return false;
        }
        for (int i = from; i < from + 3; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '7') {
                return false;
            }
        }
        return true;
    }
}
