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

    /** What the accepted connection's cork was right after the write (before the flush), and its channel. */
    private record Written(boolean corkedBeforeFlush, Channel channel) {
    }

    /** Serves one response built by {@code messages} on each connection; completes with what was seen. */
    private CompletableFuture<Written> serve(Function<ChannelHandlerContext, List<Object>> messages)
            throws InterruptedException {
        CompletableFuture<Written> written = new CompletableFuture<>();
        server = new ServerBootstrap().group(group).channel(EpollServerSocketChannel.class)
                .childHandler(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelActive(ChannelHandlerContext ctx) {
                        CorkedFileWrite.write(ctx, messages.apply(ctx));
                        boolean corked = ((EpollSocketChannelConfig) ctx.channel().config()).isTcpCork();
                        ctx.flush();
                        written.complete(new Written(corked, ctx.channel()));
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
        return written;
    }

    /** Connects and reads {@code length} bytes; the connection stays open (closed after the test). */
    private byte[] receive(int length) throws Exception {
        client = new Socket("127.0.0.1", ((InetSocketAddress) server.localAddress()).getPort());
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

    @Test
    void aFileResponseIsCorkedWhileWrittenAndUncorkedOnceTheRegionIsOut() throws Exception {
        byte[] body = new byte[300_000];
        for (int i = 0; i < body.length; i++) {
            body[i] = (byte) (i * 31 + 7);
        }
        Path file = Files.write(dir.resolve("body"), body);
        FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
        CompletableFuture<Written> written = serve(ctx -> {
            List<Object> messages = new ArrayList<>();
            messages.add(Unpooled.wrappedBuffer(HEAD));
            messages.add(new DefaultFileRegion(channel, 0, body.length));
            return messages;
        });
        byte[] got = receive(HEAD.length + body.length);
        byte[] expected = new byte[HEAD.length + body.length];
        System.arraycopy(HEAD, 0, expected, 0, HEAD.length);
        System.arraycopy(body, 0, expected, HEAD.length, body.length);
        assertArrayEquals(expected, got);
        Written w = written.get(5, TimeUnit.SECONDS);
        assertEquals(true, w.corkedBeforeFlush(), "the head waits for the body's first bytes");
        assertEquals(false, corkNow(w.channel()), "uncorked once the region is written");
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
