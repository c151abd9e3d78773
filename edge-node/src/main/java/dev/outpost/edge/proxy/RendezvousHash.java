package dev.outpost.edge.proxy;

import java.util.List;

/**
 * Rendezvous (highest-random-weight) hashing: ranks a fixed set of servers for a key by a weight that
 * depends only on the key and the server's name. Every node that knows the same server names ranks
 * them the same for a given key, whatever the order it lists them in; keys spread evenly over the
 * servers; and when a server is left out (or fails), only its keys move, each to its own second
 * choice, so the load of a failed server spreads over all the others.
 *
 * <p>The weight of server {@code s} for key {@code k} is {@code mix(fnv(k) ^ mix(fnv(s)))}: 64-bit
 * FNV-1a over the UTF-16 code units, then the MurmurHash3 finalizer. It is part of the deployment's
 * contract (nodes of different versions must agree), so it must not change.
 */
public final class RendezvousHash {

    private static final long FNV_OFFSET = 0xcbf29ce484222325L;
    private static final long FNV_PRIME = 0x100000001b3L;

    private final long[] seeds;

    /** @param servers the servers' names, distinct (their order does not matter) */
    public RendezvousHash(List<String> servers) {
        if (servers.isEmpty()) {
            throw new IllegalArgumentException("no servers");
        }
        seeds = new long[servers.size()];
        for (int i = 0; i < seeds.length; i++) {
            seeds[i] = mix(fnv(servers.get(i)));
        }
    }

    public int size() {
        return seeds.length;
    }

    /** The index (in the constructor's list) of the key's server: the one of highest weight. */
    public int first(CharSequence key) {
        long k = fnv(key);
        int best = 0;
        long bestWeight = mix(k ^ seeds[0]);
        for (int i = 1; i < seeds.length; i++) {
            long w = mix(k ^ seeds[i]);
            if (Long.compareUnsigned(w, bestWeight) > 0) {
                best = i;
                bestWeight = w;
            }
        }
        return best;
    }

    /** Every server's index, by decreasing weight for the key: the order to try them in. */
    public int[] order(CharSequence key) {
        long k = fnv(key);
        int n = seeds.length;
        long[] weights = new long[n];
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            weights[i] = mix(k ^ seeds[i]);
            order[i] = i;
        }
        for (int i = 1; i < n; i++) { // insertion sort: a handful of servers
            int idx = order[i];
            int j = i - 1;
            while (j >= 0 && Long.compareUnsigned(weights[order[j]], weights[idx]) < 0) {
                order[j + 1] = order[j];
                j--;
            }
            order[j + 1] = idx;
        }
        return order;
    }

    static long fnv(CharSequence s) {
        long h = FNV_OFFSET;
        for (int i = 0; i < s.length(); i++) {
            h = (h ^ s.charAt(i)) * FNV_PRIME;
        }
        return h;
    }

    /** MurmurHash3's 64-bit finalizer: every input bit flips each output bit with probability about 1/2. */
    static long mix(long h) {
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h;
    }
}
