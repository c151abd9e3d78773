package dev.outpost.edge.storage.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Which tmpfs mount a body-file directory is on, and its {@code huge=} option, from /proc/self/mounts lines. */
class TmpfsMountTest {

    private static final List<String> MOUNTS = List.of(
            "/dev/vda / ext4 rw,relatime,discard 0 0",
            "proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0",
            "tmpfs /dev/shm tmpfs rw,nosuid,nodev,relatime,size=65536k 0 0",
            "tmpfs /mnt/bodies tmpfs rw,relatime,size=1048576k,huge=within_size 0 0",
            "/dev/vdb /mnt/bodies/disk ext4 rw,relatime 0 0",
            "tmpfs /mnt/with\\040space tmpfs rw,relatime,huge=always 0 0",
            "tmpfs /mnt/stacked tmpfs rw,relatime,huge=within_size 0 0",
            "tmpfs /mnt/stacked tmpfs rw,relatime 0 0");

    @Test
    void aTmpfsWithoutTheOptionHasNoLargeFolios() {
        TmpfsMount shm = TmpfsMount.of(Path.of("/dev/shm"), MOUNTS).orElseThrow();
        assertEquals(Path.of("/dev/shm"), shm.mountPoint());
        assertEquals("never", shm.huge());
        assertEquals("never", shm.effectiveHuge(""));
    }

    @Test
    void theDeepestMountHoldingTheDirectoryCounts() {
        TmpfsMount bodies = TmpfsMount.of(Path.of("/mnt/bodies/edge-1"), MOUNTS).orElseThrow();
        assertEquals(Path.of("/mnt/bodies"), bodies.mountPoint());
        assertEquals("within_size", bodies.huge());
        assertEquals(Optional.empty(), TmpfsMount.of(Path.of("/mnt/bodies/disk/x"), MOUNTS),
                "an ext4 mounted inside the tmpfs: not a tmpfs");
        assertEquals(Optional.empty(), TmpfsMount.of(Path.of("/var/tmp"), MOUNTS), "the root filesystem");
        assertEquals(Optional.empty(), TmpfsMount.of(Path.of("/dev/shmem"), MOUNTS),
                "a path that only starts with the same characters is not inside the mount");
    }

    @Test
    void escapedMountPointsAndStackedMountsAreReadAsTheKernelMeansThem() {
        TmpfsMount spaced = TmpfsMount.of(Path.of("/mnt/with space/bodies"), MOUNTS).orElseThrow();
        assertEquals(Path.of("/mnt/with space"), spaced.mountPoint());
        assertEquals("always", spaced.huge());
        assertEquals("never", TmpfsMount.of(Path.of("/mnt/stacked"), MOUNTS).orElseThrow().huge(),
                "the last mount listed at a point is the one on top");
    }

    @Test
    void aTmpfsAtTheRootAndABackslashInAMountPointAreReadToo() {
        List<String> mounts = List.of("none / tmpfs rw,huge=within_size 0 0",
                "tmpfs /mnt/back\\134slash tmpfs rw,huge=always 0 0");
        assertEquals(Path.of("/"), TmpfsMount.of(Path.of("/var/cache/outpost"), mounts).orElseThrow().mountPoint());
        assertEquals(Path.of("/mnt/back\\slash"), TmpfsMount.of(Path.of("/mnt/back\\slash/x"), mounts).orElseThrow()
                .mountPoint());
    }

    @Test
    void theHostsSwitchOverridesEveryMount() {
        TmpfsMount bodies = TmpfsMount.of(Path.of("/mnt/bodies"), MOUNTS).orElseThrow();
        assertEquals("within_size", bodies.effectiveHuge("always within_size advise [never] deny force\n"),
                "never: each mount's option decides");
        assertEquals("within_size", bodies.effectiveHuge(""), "unknown (no sysfs): the mount's option");
        assertEquals("never", bodies.effectiveHuge("always within_size advise never [deny] force"));
        assertEquals("always", bodies.effectiveHuge("always within_size advise never deny [force]"));
        assertEquals("always", TmpfsMount.selectedOption("[always] never"));
        assertEquals("", TmpfsMount.selectedOption("no choice"));
    }

    @Test
    void malformedLinesAreSkipped() {
        assertEquals(Optional.empty(), TmpfsMount.of(Path.of("/dev/shm"), List.of("", "garbage", "tmpfs /dev/shm")));
        assertEquals("never", TmpfsMount.of(Path.of("/dev/shm"),
                List.of("broken", "tmpfs /dev/shm tmpfs rw 0 0", "tmpfs /dev/\\000nul tmpfs rw 0 0")).orElseThrow().huge(),
                "a mount point the JDK cannot hold as a path (a NUL) is skipped, not fatal");
    }
}
