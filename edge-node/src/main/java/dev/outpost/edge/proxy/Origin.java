package dev.outpost.edge.proxy;

import java.net.URI;

/** One configured origin: where requests for {@code host} (or every host, for "*") are sent. */
public record Origin(String host, String scheme, String address, int port, String basePath) {

    public static Origin of(String host, URI url) {
        boolean https = "https".equalsIgnoreCase(url.getScheme());
        int port = url.getPort() > 0 ? url.getPort() : (https ? 443 : 80);
        String path = url.getRawPath() == null ? "" : url.getRawPath();
        if (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        return new Origin(host, https ? "https" : "http", url.getHost(), port, path);
    }

    public boolean tls() {
        return "https".equals(scheme);
    }
}
