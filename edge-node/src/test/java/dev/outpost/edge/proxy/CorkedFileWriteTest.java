package dev.outpost.edge.proxy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.DefaultFileRegion;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannelConfig;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link CorkedFileWrite} on real epoll sockets: a response ending in a file region is corked while it is
 * written and uncorked once the region is out; every byte arrives in order.
 */
class CorkedFileWriteTest {

    private static final byte[] HEAD = "HTTP/1.1 200 OK\r\ncontent-length: 300000\r\n\r\n"
            .getBytes(StandardCharsets.US_ASCII);

    @TempDir
    Path dir;
    private EventLoopGroup group;
    private Channel server;
    private Socket client;

    @BeforeEach
    void epollOnly() {
        assumeTrue(Epoll.isAvailable(), "the epoll transport (Linux) is what corks");
        group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    }

    @AfterEach
    void stop() throws Exception {
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.close().sync();
        }
        if (group != null) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    /**
     * What the accepted connection's cork was right after the write (before the flush), its channel, and
     * the cork as the next response (if any) was written.
     */
    private record Written(boolean corkedBeforeFlush, Channel channel, CompletableFuture<Boolean> corkedForNext) {
    }

    private CompletableFuture<Written> serve(Function<ChannelHandlerContext, List<Object>> messages)
            throws InterruptedException {
        return serve(messages, null);
    }

    /**
     * Serves one response built by {@code messages} on each connection, then {@code next} (if not null) as
     * a plain buffer queued behind it before the flush; completes with what was seen.
     */
    private CompletableFuture<Written> serve(Function<ChannelHandlerContext, List<Object>> messages, byte[] next)
            throws InterruptedException {
        CompletableFuture<Written> written = new CompletableFuture<>();
        server = new ServerBootstrap().group(group).channel(EpollServerSocketChannel.class)
                .childHandler(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelActive(ChannelHandlerContext ctx) {
                        CorkedFileWrite.write(ctx, messages.apply(ctx));
                        EpollSocketChannelConfig config = (EpollSocketChannelConfig) ctx.channel().config();
                        boolean corked = config.isTcpCork();
                        CompletableFuture<Boolean> corkedForNext = new CompletableFuture<>();
                        if (next != null) {
                            ctx.write(Unpooled.wrappedBuffer(next))
                                    .addListener(f -> corkedForNext.complete(config.isTcpCork()));
                        }
                        ctx.flush();
                        written.complete(new Written(corked, ctx.channel(), corkedForNext));
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
        return written;
    }

    /** Connects and reads {@code length} bytes; the connection stays open (closed after the test). */
    private byte[] receive(int length) throws Exception {
        client = new Socket("127.0.0.1", ((InetSocketAddress) server.localAddress()).getPort());
        client.setSoTimeout(10_000); // a regression fails the test instead of hanging the build
        InputStream in = client.getInputStream();
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        byte[] buffer = new byte[65536];
        while (got.size() < length) {
            int n = in.read(buffer);
            if (n < 0) {
                break;
            }
            got.write(buffer, 0, n);
        }
        return got.toByteArray();
    }

    private static boolean corkNow(Channel channel) throws Exception {
        // on the channel's loop: after the region's write completed there, and its listener ran
        return channel.eventLoop().submit(() -> ((EpollSocketChannelConfig) channel.config()).isTcpCork())
                .get(5, TimeUnit.SECONDS);
    }

    private byte[] fileBody() {
        byte[] body = new byte[300_000];
        for (int i = 0; i < body.length; i++) {
            body[i] = (byte) (i * 31 + 7);
        }
        return body;
    }

    /** The head and a region of {@code body}, written to a file of its own. */
    private Function<ChannelHandlerContext, List<Object>> fileResponse(byte[] body) throws Exception {
        Path file = Files.write(Files.createTempFile(dir, "body", ""), body);
        FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
        return ctx -> {
            List<Object> messages = new ArrayList<>();
            messages.add(Unpooled.wrappedBuffer(HEAD));
            messages.add(new DefaultFileRegion(channel, 0, body.length));
            return messages;
        };
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            all.writeBytes(p);
        }
        return all.toByteArray();
    }

    @Test
    void aFileResponseIsCorkedWhileWrittenAndUncorkedOnceTheRegionIsOut() throws Exception {
        byte[] body = fileBody();
        CompletableFuture<Written> written = serve(fileResponse(body));
        assertArrayEquals(concat(HEAD, body), receive(HEAD.length + body.length));
        Written w = written.get(5, TimeUnit.SECONDS);
        assertEquals(true, w.corkedBeforeFlush(), "the head waits for the body's first bytes");
        assertEquals(false, corkNow(w.channel()), "uncorked once the region is written");
    }

    @Test
    void aResponseQueuedBehindTheRegionIsWrittenUncorked() throws Exception {
        byte[] body = fileBody();
        byte[] next = "HTTP/1.1 304 Not Modified\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        CompletableFuture<Written> written = serve(fileResponse(body), next);
        assertArrayEquals(concat(HEAD, body, next), receive(HEAD.length + body.length + next.length));
        assertEquals(false, written.get(5, TimeUnit.SECONDS).corkedForNext().get(5, TimeUnit.SECONDS),
                "the region's uncork runs before the next message leaves, which is not held for 200 ms");
    }

    @Test
    void aResponseWithoutAFileIsNotCorked() throws Exception {
        byte[] body = "in memory".getBytes(StandardCharsets.US_ASCII);
        CompletableFuture<Written> written = serve(ctx -> {
            List<Object> messages = new ArrayList<>();
            messages.add(Unpooled.wrappedBuffer(HEAD));
            messages.add(Unpooled.wrappedBuffer(body));
            return messages;
        });
        byte[] got = receive(HEAD.length + body.length);
        assertEquals(HEAD.length + body.length, got.length);
        assertEquals(false, written.get(5, TimeUnit.SECONDS).corkedBeforeFlush());
    }
}
