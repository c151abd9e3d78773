package dev.outpost.edge.storage;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@code all} purges of one tier (ARCHITECTURE §4: "per host or global, O(1)"), kept as markers
 * instead of being applied to each stored object. Every stored variant carries a <em>stamp</em> from a
 * counter of its tier that only grows (the memory tier: an in-process counter, its objects do not survive
 * a restart; the disk tier: the counter its object ids come from, persisted through the ids in its
 * records and set above every id and every marker at open, so it keeps growing across restarts). The
 * stamp is taken when the variant's writer is created (so a fill that was in flight when a purge landed
 * is older than the purge's marker) and again whenever its metadata is replaced (a 304), so a revalidated
 * object is newer than the soft purge that invalidated it.
 *
 * <p>An {@code all} purge records the tier's counter as it is: every stamp handed out so far is at or
 * below it. At lookup a variant whose stamp is at or below the hard marker of its host (or the global
 * one) is gone (a miss, removed lazily), and one at or below the soft marker is invalidated. Per-host
 * markers live in a small map (a few dozen bytes per host purged); a global marker drops the host markers
 * it makes redundant. Thread-safe; {@link #encode()} is what the disk tier persists.
 */
public final class PurgeMarkers {

    /** What the markers say about one stored variant. */
    public enum Effect { LIVE, INVALIDATED, GONE }

    private record Marks(long hard, long soft) {
        Marks max(Marks o) {
            return new Marks(Math.max(hard, o.hard), Math.max(soft, o.soft));
        }
    }

    private static final byte VERSION = 1;
    private static final Marks NONE = new Marks(0, 0);

    private volatile Marks global = NONE;
    private final ConcurrentHashMap<String, Marks> hosts = new ConcurrentHashMap<>();

    /** What the markers do to a variant of {@code host} stamped {@code stamp}. */
    public Effect effect(String host, long stamp) {
        Marks g = global;
        Marks h = hosts.isEmpty() ? null : hosts.get(host);
        long hard = h == null ? g.hard : Math.max(g.hard, h.hard);
        if (stamp <= hard) {
            return Effect.GONE;
        }
        long soft = h == null ? g.soft : Math.max(g.soft, h.soft);
        return stamp <= soft ? Effect.INVALIDATED : Effect.LIVE;
    }

    /**
     * Records a purge of everything ({@code hostOrNull} null) or of one host, covering every stamp up to
     * {@code upTo}. Markers only move forward.
     */
    public synchronized void mark(String hostOrNull, boolean soft, long upTo) {
        Marks m = soft ? new Marks(0, upTo) : new Marks(upTo, 0);
        if (hostOrNull != null) {
            hosts.merge(hostOrNull, m, Marks::max);
            return;
        }
        Marks g = global.max(m);
        global = g;
        hosts.values().removeIf(h -> h.hard <= g.hard && h.soft <= g.soft);
    }

    /** The highest stamp any marker covers (the disk tier's counter starts above it). */
    public long highest() {
        long max = Math.max(global.hard, global.soft);
        for (Marks m : hosts.values()) {
            max = Math.max(max, Math.max(m.hard, m.soft));
        }
        return max;
    }

    /** Hosts with a marker of their own. */
    public int hostCount() {
        return hosts.size();
    }

    /** {@code version, global hard, global soft, host count, (host, hard, soft)*}. */
    public synchronized byte[] encode() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(32 + hosts.size() * 32);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(VERSION);
            out.writeLong(global.hard);
            out.writeLong(global.soft);
            out.writeInt(hosts.size());
            for (Map.Entry<String, Marks> e : hosts.entrySet()) {
                byte[] host = e.getKey().getBytes(StandardCharsets.UTF_8);
                out.writeShort(host.length);
                out.write(host);
                out.writeLong(e.getValue().hard);
                out.writeLong(e.getValue().soft);
            }
        } catch (IOException impossible) {
            throw new IllegalStateException(impossible);
        }
        return bytes.toByteArray();
    }

    /** Markers decoded from {@link #encode()}; throws when the bytes are not such an encoding. */
    public static PurgeMarkers decode(byte[] encoded) throws IOException {
        PurgeMarkers m = new PurgeMarkers();
        try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(encoded))) {
            if (in.readByte() != VERSION) {
                throw new IOException("unknown purge marker version");
            }
            m.global = new Marks(in.readLong(), in.readLong());
            int n = in.readInt();
            for (int i = 0; i < n; i++) {
                byte[] host = new byte[in.readUnsignedShort()];
                in.readFully(host);
                m.hosts.put(new String(host, StandardCharsets.UTF_8), new Marks(in.readLong(), in.readLong()));
            }
            if (in.available() > 0) {
                throw new IOException("trailing bytes after the purge markers");
            }
        }
        return m;
    }
}
