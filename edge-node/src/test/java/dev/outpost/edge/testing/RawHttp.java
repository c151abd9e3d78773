package dev.outpost.edge.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A deliberately small HTTP/1.1 client over a raw socket: tests send exactly the bytes they mean
 * (any Host, malformed framing) and read back status, header lines and body as sent.
 */
public final class RawHttp {

    private RawHttp() {
    }

    /** A parsed response; {@code closed} tells whether the server closed the connection after it. */
    public record Response(int status, List<String[]> headers, byte[] body, boolean closed) {
        public String header(String name) {
            for (String[] h : headers) {
                if (h[0].equalsIgnoreCase(name)) {
                    return h[1];
                }
            }
            return null;
        }

        public List<String> headers(String name) {
            List<String> out = new ArrayList<>();
            for (String[] h : headers) {
                if (h[0].equalsIgnoreCase(name)) {
                    out.add(h[1]);
                }
            }
            return out;
        }

        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /** Sends {@code rawRequest} (CRLFs included) on a new connection and reads one response. */
    public static Response exchange(int port, String rawRequest) throws IOException {
        return exchange(port, rawRequest.getBytes(StandardCharsets.ISO_8859_1), false);
    }

    public static Response exchange(int port, byte[] rawRequest, boolean headRequest) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(15_000);
            OutputStream out = s.getOutputStream();
            out.write(rawRequest);
            out.flush();
            InputStream in = s.getInputStream();
            Response r = read(in, headRequest);
            return r;
        }
    }

    /** A simple GET with the given Host and extra header lines ("Name: value"). */
    public static Response get(int port, String host, String path, String... headerLines) throws IOException {
        return request(port, "GET", host, path, headerLines);
    }

    public static Response request(int port, String method, String host, String path, String... headerLines)
            throws IOException {
        StringBuilder sb = new StringBuilder();
        sb.append(method).append(' ').append(path).append(" HTTP/1.1\r\n");
        sb.append("Host: ").append(host).append("\r\n");
        for (String h : headerLines) {
            sb.append(h).append("\r\n");
        }
        sb.append("Connection: close\r\n\r\n");
        return exchange(port, sb.toString().getBytes(StandardCharsets.ISO_8859_1), method.equals("HEAD"));
    }

    /** Reads one response and then whether the server closed the connection (reading one byte further). */
    public static Response read(InputStream in, boolean headRequest) throws IOException {
        Response head = readHead(in);
        if (head.status() < 0) {
            return head;
        }
        byte[] body = readBody(in, head, headRequest);
        boolean closed;
        try {
            closed = in.read() == -1;
        } catch (SocketTimeoutException e) {
            closed = false;
        } catch (IOException e) {
            closed = true;
        }
        return new Response(head.status(), head.headers(), body, closed);
    }

    /** Reads one response and nothing more, for pipelined responses on one connection ({@code closed} is false). */
    public static Response next(InputStream in, boolean headRequest) throws IOException {
        Response head = readHead(in);
        return head.status() < 0 ? head : new Response(head.status(), head.headers(), readBody(in, head, headRequest), false);
    }

    /** Reads a status line and header section; status -1 (and closed) when the connection ended first. */
    public static Response readHead(InputStream in) throws IOException {
        String statusLine = readLine(in);
        if (statusLine == null) {
            return new Response(-1, List.of(), new byte[0], true);
        }
        String[] parts = statusLine.split(" ", 3);
        int status = Integer.parseInt(parts[1]);
        List<String[]> headers = new ArrayList<>();
        String line;
        while ((line = readLine(in)) != null && !line.isEmpty()) {
            int colon = line.indexOf(':');
            headers.add(new String[] {line.substring(0, colon), line.substring(colon + 1).trim()});
        }
        return new Response(status, headers, new byte[0], false);
    }

    /** Reads the body that follows {@code head}, framed as RFC 9112 §6.3 says. */
    public static byte[] readBody(InputStream in, Response head, boolean headRequest) throws IOException {
        int status = head.status();
        if (headRequest || status == 304 || status == 204 || status / 100 == 1) {
            return new byte[0];
        } else if (head.header("Transfer-Encoding") != null
                && head.header("Transfer-Encoding").toLowerCase(Locale.ROOT).contains("chunked")) {
            return readChunked(in);
        } else if (head.header("Content-Length") != null) {
            return in.readNBytes(Integer.parseInt(head.header("Content-Length")));
        }
        return in.readAllBytes();
    }

    private static byte[] readChunked(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while (true) {
            String sizeLine = readLine(in);
            int semi = sizeLine.indexOf(';');
            int size = Integer.parseInt((semi >= 0 ? sizeLine.substring(0, semi) : sizeLine).trim(), 16);
            if (size == 0) {
                String l;
                while ((l = readLine(in)) != null && !l.isEmpty()) {
                    // trailers ignored
                }
                return out.toByteArray();
            }
            out.write(in.readNBytes(size));
            readLine(in);
        }
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) != -1) {
            if (c == '\n') {
                int len = sb.length();
                if (len > 0 && sb.charAt(len - 1) == '\r') {
                    sb.setLength(len - 1);
                }
                return sb.toString();
            }
            sb.append((char) c);
        }
        return sb.length() == 0 ? null : sb.toString();
    }
}
