package dev.outpost.edge.proxy;

import dev.outpost.edge.cache.CacheKey;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;

/**
 * One configured origin route: where requests for {@link #host()} (or every host, for "*") are sent.
 * It has one server, or several interchangeable ones (e.g. the pods of a shield tier); then each
 * cache key has its own order of servers by {@link RendezvousHash}, so every edge sends a given object
 * to the same server and tries the next one only when that one cannot be connected to.
 */
public final class Origin {

    /** One server of an origin. Its name ({@link #toString()}) is what rendezvous hashing ranks. */
    public record Server(String scheme, String address, int port) {

        public boolean tls() {
            return "https".equals(scheme);
        }

        @Override
        public String toString() {
            return scheme + "://" + address + ":" + port;
        }
    }

    private final String host;
    private final List<Server> servers;
    private final String basePath;
    private final RendezvousHash ranking; // null with one server

    private Origin(String host, List<Server> servers, String basePath) {
        this.host = host;
        this.servers = List.copyOf(servers);
        this.basePath = basePath;
        this.ranking = servers.size() > 1
                ? new RendezvousHash(servers.stream().map(Server::toString).toList())
                : null;
    }

    public static Origin of(String host, URI url) {
        return of(host, List.of(url));
    }

    /** A route to {@code urls}, which share one path (the config module checks it); the first one's is used. */
    public static Origin of(String host, List<URI> urls) {
        List<Server> servers = new ArrayList<>();
        for (URI url : urls) {
            boolean https = "https".equalsIgnoreCase(url.getScheme());
            int port = url.getPort() > 0 ? url.getPort() : (https ? 443 : 80);
            servers.add(new Server(https ? "https" : "http", url.getHost().toLowerCase(java.util.Locale.ROOT), port));
        }
        String path = urls.get(0).getRawPath() == null ? "" : urls.get(0).getRawPath();
        if (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        return new Origin(host, servers, path);
    }

    public String host() {
        return host;
    }

    /** Prepended to request paths. */
    public String basePath() {
        return basePath;
    }

    public List<Server> servers() {
        return servers;
    }

    /** The servers to try for {@code key}, in order: the first is the key's own server. */
    public List<Server> serversFor(CacheKey key) {
        if (ranking == null) {
            return servers;
        }
        int[] order = ranking.order(key.asString());
        List<Server> out = new ArrayList<>(order.length);
        for (int i : order) {
            out.add(servers.get(i));
        }
        return out;
    }

    @Override
    public String toString() {
        return servers.size() == 1 ? servers.get(0).toString() : servers.toString();
    }
}
