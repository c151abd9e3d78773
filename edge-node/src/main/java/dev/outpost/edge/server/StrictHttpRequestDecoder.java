package dev.outpost.edge.server;

import dev.outpost.edge.http.HttpDate;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.impl.VertxHttpRequestDecoder;
import io.vertx.core.http.impl.headers.HeadersMultiMap;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Drop-in replacement for Vert.x's "httpDecoder" (a {@link VertxHttpRequestDecoder}) that adds the
 * request-smuggling / hygiene checks Netty 4.2.9 does not do, and a request-head deadline.
 *
 * <p>How it works: Netty's HttpObjectDecoder only consumes whole lines while parsing a head, and every
 * decode() call that emits the HttpRequest has consumed exactly the head bytes (it returns right after).
 * Every call that emits the LastHttpContent has consumed exactly up to the end of that message.
 * So we can re-scan, byte-exactly, what Netty consumed:
 * <ul>
 *   <li>head bytes: obs-fold, whitespace/invalid chars in names, CTLs in values, CL/TE rules, at most
 *       one Host line (RFC 9112 §3.2);</li>
 *   <li>chunked body bytes: a strict shadow chunk parser (catches Netty's int wrap-around of
 *       chunk sizes such as {@code 100000000}, which Netty reads as 0).</li>
 * </ul>
 * A violation is reported to Vert.x exactly the way Netty reports its own parse errors: the emitted
 * HttpRequest gets a failed DecoderResult (so Vert.x calls the server's invalidRequestHandler and never the
 * requestHandler), or a failed LastHttpContent is emitted for body errors (Vert.x then fails the request and
 * closes the connection). After any violation all further input is discarded.
 *
 * <p>An {@link EarlyResponder} may answer a well-formed request here instead of handing it to Vert.x
 * (the edge answers fresh memory hits this way): only a complete GET or HEAD without a body, in
 * HTTP/1.1, with no Upgrade or Expect and at most {@code Connection: close} or {@code keep-alive}, with
 * no response of Vert.x still owed on the connection (responses leave in request order, RFC 9112
 * §9.3.2) and a writable socket (a client that does not read its answers gets Vert.x's back-pressure,
 * not an ever longer queue here). Its bytes go straight to the socket from this handler's position,
 * past Vert.x's encoder, and are flushed when the read completes, so pipelined hits leave in one write.
 * After a request with {@code Connection: close} the response says so and the connection closes once
 * it is written (RFC 9112 §9.6), as Vert.x does.
 *
 * <p>Everything runs on the channel's event loop, no synchronisation needed.
 */
public class StrictHttpRequestDecoder extends VertxHttpRequestDecoder {

    /** Answers some requests before Vert.x sees them. */
    @FunctionalInterface
    public interface EarlyResponder {
        /**
         * Writes a complete response through {@code ctx} (not flushed) and returns true, or returns false
         * having written nothing; the request then goes on to Vert.x.
         *
         * @param close the request asked to close the connection: the response must say
         *              {@code Connection: close} (the decoder closes the connection after it)
         */
        boolean answer(ChannelHandlerContext ctx, HttpRequest request, boolean close);
    }

    /** Marker cause so the invalidRequestHandler can answer 408. */
    public static final class RequestHeadTimeoutException extends RuntimeException {
        public RequestHeadTimeoutException(long ms) { super("request head not received within " + ms + " ms", null, false, false); }
    }

    /** Marker cause for our own rejections (400). */
    public static final class StrictHttpViolation extends IllegalArgumentException {
        public StrictHttpViolation(String msg) { super(msg); }
    }

    /** Cache-Status of the 400 this decoder writes itself. */
    private final String rejectedStatus;
    private final long headDeadlineMs;
    private final EarlyResponder early;
    private boolean answeredEarly;                  // written, not yet flushed
    private boolean vertxMayClose;                  // a request without keep-alive went to Vert.x: no more early answers
    private IdleStateHandler idle;                  // Vert.x's "idle" handler (found on the first early answer)

    // ---- per-connection state
    private ChannelHandlerContext ctx;
    private boolean discarding;
    private boolean inHead = true;                  // next consumed bytes belong to a request head
    private ScheduledFuture<?> headTimer;           // at most one per connection, see armHeadTimer
    private long headStartedNanos = -1;             // System.nanoTime() when the head in progress began; -1: none
    private long requestsDispatched;               // heads handed to Vert.x (successful ones)
    private long responseHeads, responseEnds;       // maintained by ResponseTracker (outbound, same event loop)
    private boolean pending400;

    // ---- head scanner state (reset per head)
    private final byte[] scanWindow = new byte[512];
    private final byte[] line = new byte[256];      // only the first 256 bytes of a line are kept (enough for names + TE/CL values)
    private int lineLen;                            // bytes kept
    private int lineTotal;                          // full length of current line
    private boolean lineStarted;                    // saw a non-control byte of the request line
    private int lineNo;                             // 0 = request line
    private boolean prevCR;
    private String violation;
    private int teCount, clCount, hostCount;
    private String teValue, clValue;
    private boolean valueHasCtl;
    private boolean bodyChunked;

    // ---- shadow chunk parser
    private enum CState { SIZE, DATA, DATA_CR, DATA_LF, TRAILER, DONE }
    private CState cstate;
    private long cRemaining;
    private int cDigits;
    private boolean cInExt, cSawCR, cLineEmpty, cBws;
    private long cValue;

    /**
     * @param early          answers some requests before Vert.x sees them; null for none
     * @param rejectedStatus the Cache-Status entry of a rejected request (RFC 9211: on every response)
     */
    public StrictHttpRequestDecoder(HttpServerOptions options, long headDeadlineMs, EarlyResponder early,
            String rejectedStatus) {
        super(options);
        this.headDeadlineMs = headDeadlineMs;
        this.early = early;
        this.rejectedStatus = rejectedStatus;
        resetHeadScanner();
    }

    // ------------------------------------------------------------------------------------------------ lifecycle

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
        this.ctx = ctx;
        super.handlerAdded(ctx);
        armHeadTimer();                               // deadline for the first head starts at accept
        if (ctx.pipeline().get("httpEncoder") != null && ctx.pipeline().get(ResponseTracker.class) == null) {
            ctx.pipeline().addAfter("httpEncoder", "strictResponseTracker", new ResponseTracker());
        }
    }

    /** Sees Vert.x's outbound HttpResponse / LastHttpContent objects (it sits between "httpEncoder" and Vert.x). */
    private final class ResponseTracker extends ChannelOutboundHandlerAdapter {
        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
            // a 100 Continue is a whole response object (a FullHttpResponse) but not the request's answer
            boolean informational = msg instanceof HttpResponse r
                    && r.status().codeClass() == io.netty.handler.codec.http.HttpStatusClass.INFORMATIONAL;
            if (msg instanceof HttpResponse && !informational) {
                responseHeads++;
            }
            if (msg instanceof LastHttpContent && !informational) {
                responseEnds++;
            }
            super.write(ctx, msg, promise);
        }

        @Override
        public void close(ChannelHandlerContext ctx, ChannelPromise promise) throws Exception {
            maybeWrite400BeforeClose();
            super.close(ctx, promise);
        }
    }

    /** The 400 for a malformed chunked body, with the same fields as every other rejection plus Date. */
    private byte[] raw400() {
        String body = "bad request: malformed chunked body\n";
        return ("HTTP/1.1 400 Bad Request\r\nDate: " + HttpDate.format(Instant.now())
                + "\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nCache-Status: "
                + rejectedStatus + "\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)
                .getBytes(StandardCharsets.ISO_8859_1);
    }

    /**
     * Body framing error on the request currently being received. Vert.x reacts to the failed HttpContent by
     * calling the request's exceptionHandler and closing the channel (possibly later, if the request was queued
     * behind a pipelined response) -- it never answers. We remember the error and, when Vert.x's close() passes the
     * ResponseTracker, put a 400 on the wire first if no byte of a response for this request has been written and
     * every earlier response is complete.
     */
    private void bodyFramingError() {
        pending400 = true;
    }

    private void maybeWrite400BeforeClose() {
        if (pending400 && responseHeads == requestsDispatched - 1 && responseEnds == requestsDispatched - 1
                && ctx.channel().isActive()) {
            pending400 = false;
            // written from the decoder's context: goes straight to the socket, bypassing Vert.x's encoder
            ctx.writeAndFlush(Unpooled.wrappedBuffer(raw400()));
        }
    }

    /**
     * Starts the deadline of the head now arriving, unless one is running. One timer per connection is
     * kept rather than one scheduled and cancelled per request: when it fires it either times the head
     * out or re-arms itself for what is left of the current head's deadline (like Netty's IdleStateHandler),
     * so a keep-alive connection costs a clock read per request, not a timer-queue insertion and removal.
     */
    private void armHeadTimer() {
        if (headDeadlineMs <= 0 || ctx == null || discarding || headStartedNanos >= 0) {
            return;
        }
        headStartedNanos = System.nanoTime();
        if (headTimer == null) {
            headTimer = ctx.executor().schedule(this::checkHeadDeadline, headDeadlineMs, TimeUnit.MILLISECONDS);
        }
    }

    /** The head is complete: its deadline no longer applies (the pending timer finds nothing to time out). */
    private void headReceived() {
        headStartedNanos = -1;
    }

    private void checkHeadDeadline() {
        headTimer = null;
        if (headStartedNanos < 0 || discarding || !ctx.channel().isActive()) {
            return;
        }
        long left = TimeUnit.MILLISECONDS.toNanos(headDeadlineMs) - (System.nanoTime() - headStartedNanos);
        if (left > 0) {
            headTimer = ctx.executor().schedule(this::checkHeadDeadline, left, TimeUnit.NANOSECONDS);
            return;
        }
        onHeadTimeout();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        super.channelInactive(ctx); // may decode what is left, which must not re-arm the timer after this
        discarding = true;
        if (headTimer != null) {
            headTimer.cancel(false);
            headTimer = null;
        }
    }

    private void onHeadTimeout() {
        if (discarding || !inHead || !ctx.channel().isActive()) {
            return;
        }
        discarding = true;
        // Hand Vert.x a failed request, exactly like Netty does for a malformed head: Vert.x queues it behind any
        // in-flight (pipelined) response, calls invalidRequestHandler (-> 408 + close), never the requestHandler.
        DefaultHttpRequest req = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/", HeadersMultiMap.httpHeaders());
        req.setDecoderResult(DecoderResult.failure(new RequestHeadTimeoutException(headDeadlineMs)));
        ctx.fireChannelRead(req);
        ctx.fireChannelReadComplete();
    }

    // ------------------------------------------------------------------------------------------------ decode

    @Override
    protected void handleTransferEncodingChunkedWithContentLength(HttpMessage message) {
        // Netty's default silently removes Content-Length and treats the message as chunked.
        throw new StrictHttpViolation("both Content-Length and Transfer-Encoding present");
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        if (discarding) {
            in.skipBytes(in.readableBytes());
            return;
        }
        if (inHead) {
            armHeadTimer();                             // keep-alive / pipelined heads: deadline starts at first byte
        }
        final int from = in.readerIndex();
        final int outFrom = out.size();
        final boolean wasInHead = inHead;
        super.decode(ctx, in, out);
        final int to = in.readerIndex();

        if (wasInHead) {
            scanHead(in, from, to);
        } else if (bodyChunked) {
            scanChunked(in, from, to);
        }

        for (int i = outFrom; i < out.size(); i++) {
            Object o = out.get(i);
            if (o instanceof HttpRequest) {
                HttpRequest req = (HttpRequest) o;
                headReceived();
                inHead = false;
                if (req.decoderResult().isSuccess() && violation == null) {
                    checkHeadSemantics();
                }
                if (!req.decoderResult().isSuccess()) {
                    dropFrom(out, i + 1);                   // Netty's own failure: it discards by itself, we do too
                    discarding = true;
                    return;
                }
                if (violation != null) {
                    req.setDecoderResult(DecoderResult.failure(new StrictHttpViolation(violation)));
                    dropFrom(out, i + 1);
                    discarding = true;
                    return;
                }
                if (answerEarly(ctx, req, out, i)) {
                    out.remove(i + 1);                      // its LastHttpContent.EMPTY_LAST_CONTENT
                    out.remove(i);
                    i--;
                    inHead = true;
                    resetHeadScanner();
                    continue;
                }
                requestsDispatched++;
                if (!HttpUtil.isKeepAlive(req)) {
                    vertxMayClose = true;                   // Vert.x closes after its answer; nothing may overtake that
                }
                bodyChunked = teCount == 1;
                if (bodyChunked) {
                    cstate = CState.SIZE; cDigits = 0; cValue = 0; cInExt = false; cSawCR = false; cBws = false;
                }
            } else if (o instanceof HttpContent) {
                HttpContent c = (HttpContent) o;
                if (c.decoderResult().isSuccess() && violation != null) {
                    // shadow chunk parser found a problem Netty did not: fail the body like Netty would
                    dropFrom(out, i);
                    DefaultLastHttpContent failed = new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER);
                    failed.setDecoderResult(DecoderResult.failure(new StrictHttpViolation(violation)));
                    bodyFramingError();
                    out.add(failed);
                    discarding = true;
                    return;
                }
                if (!c.decoderResult().isSuccess()) {        // Netty's own chunk error (bad size, missing CRLF, ...)
                    bodyFramingError();
                    dropFrom(out, i + 1);
                    discarding = true;
                    return;
                }
                if (o instanceof LastHttpContent) {
                    if (bodyChunked && cstate != CState.DONE) {
                        violation = "chunked framing desync (shadow parser state " + cstate + ")";
                        dropFrom(out, i);
                        DefaultLastHttpContent failed = new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER);
                        failed.setDecoderResult(DecoderResult.failure(new StrictHttpViolation(violation)));
                        bodyFramingError();
                        out.add(failed);
                        discarding = true;
                        return;
                    }
                    inHead = true;
                    bodyChunked = false;
                    resetHeadScanner();
                }
            }
        }
        if (violation != null && !inHead && bodyChunked && out.size() == outFrom) {
            // chunk-size violation detected but Netty emitted nothing in this call (e.g. it read '100000000' as 0)
            DefaultLastHttpContent failed = new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER);
            failed.setDecoderResult(DecoderResult.failure(new StrictHttpViolation(violation)));
            bodyFramingError();
            out.add(failed);
            discarding = true;
        }
    }

    /** Offers {@code out[i]} to the early responder when answering it here is invisible to Vert.x; see the class comment. */
    private boolean answerEarly(ChannelHandlerContext ctx, HttpRequest req, List<Object> out, int i) {
        if (early == null || vertxMayClose || responseEnds != requestsDispatched || responseHeads != requestsDispatched
                || i + 1 >= out.size() || out.get(i + 1) != LastHttpContent.EMPTY_LAST_CONTENT
                || req.protocolVersion() != HttpVersion.HTTP_1_1 || !ctx.channel().isWritable()) {
            return false;
        }
        HttpHeaders h = req.headers();
        if (h.contains(HttpHeaderNames.UPGRADE)
                || h.contains(HttpHeaderNames.EXPECT)) {
            return false;                                   // Vert.x's and the pipeline's to handle
        }
        boolean close = false;
        List<String> connection = h.getAll(HttpHeaderNames.CONNECTION);
        if (!connection.isEmpty()) {
            String option = connection.size() == 1 ? connection.get(0).trim() : "";
            close = option.equalsIgnoreCase("close");
            if (!close && !option.equalsIgnoreCase("keep-alive")) {
                return false;                               // several options, or fields nominated as hop-by-hop
            }
        }
        try {
            if (!early.answer(ctx, req, close)) {
                return false;
            }
        } catch (RuntimeException bug) {
            return false;                                   // the responder writes nothing before it is sure: Vert.x answers
        }
        keepIdleTimerInformed(ctx);
        if (close) {
            discarding = true;                              // nothing after this request is read (RFC 9112 §9.6)
            ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        } else {
            answeredEarly = true;
        }
        return true;
    }

    /**
     * Vert.x's idle handler sits behind this decoder: it sees neither the requests answered here nor their
     * writes, and would close a connection busy with early answers as idle (server.idle-timeout).
     */
    private void keepIdleTimerInformed(ChannelHandlerContext ctx) {
        if (idle == null && ctx.pipeline().get("idle") instanceof IdleStateHandler handler) {
            idle = handler;
        }
        if (idle != null) {
            idle.resetReadTimeout();
            idle.resetWriteTimeout();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
        if (answeredEarly) {
            answeredEarly = false;
            ctx.flush();
        }
        super.channelReadComplete(ctx);
    }

    private static void dropFrom(List<Object> out, int idx) {
        while (out.size() > idx) {
            ReferenceCountUtil.release(out.remove(out.size() - 1));
        }
    }

    // ------------------------------------------------------------------------------------------------ head scanner

    private void resetHeadScanner() {
        lineLen = 0; lineTotal = 0; lineStarted = false; lineNo = 0; prevCR = false;
        violation = null; teCount = 0; clCount = 0; hostCount = 0; teValue = null; clValue = null; valueHasCtl = false;
    }

    /** Copies the head bytes Netty consumed into a small array window by window (no per-byte bounds and liveness checks). */
    private void scanHead(ByteBuf in, int from, int to) {
        for (int i = from; i < to && violation == null; i += scanWindow.length) {
            int n = Math.min(scanWindow.length, to - i);
            in.getBytes(i, scanWindow, 0, n);
            scanHeadBytes(scanWindow, n);
        }
    }

    private void scanHeadBytes(byte[] bytes, int n) {
        for (int i = 0; i < n && violation == null; i++) {
            byte b = bytes[i];
            if (lineNo == 0 && !lineStarted) {
                if (b == '\r' || b == '\n' || b == ' ' || b == '\t' || (b >= 0 && b < 0x20)) {
                    continue;                               // Netty skips leading CRLF/controls before the request line
                }
                lineStarted = true;
            }
            if (b == '\n') {
                if (!prevCR) { violation = "bare LF"; return; }
                endOfLine();
                prevCR = false;
                continue;
            }
            if (prevCR) { violation = "bare CR"; return; }
            if (b == '\r') { prevCR = true; continue; }
            if (lineNo > 0) {
                if (lineTotal == 0 && (b == ' ' || b == '\t')) { violation = "obs-fold (line starts with SP/HTAB)"; return; }
                if (b == 0 || b == 0x7f || (b > 0 && b < 0x20 && b != '\t')) { valueHasCtl = true; }
            }
            if (lineLen < line.length) line[lineLen++] = b;
            lineTotal++;
        }
    }

    private void endOfLine() {
        try {
            if (lineNo == 0) {
                return;                                   // request line: validated by Netty
            }
            if (lineTotal == 0) {
                return;                                   // end of head; semantics checked once Netty emits the request
            }
            if (valueHasCtl) { violation = "control character in header line"; return; }
            int colon = -1;
            for (int k = 0; k < lineLen; k++) { if (line[k] == ':') { colon = k; break; } }
            if (colon <= 0) { violation = colon == 0 ? "empty header name" : "no colon in header line (or name > 256 bytes)"; return; }
            for (int k = 0; k < colon; k++) {
                if (!isTchar(line[k])) { violation = "invalid character in header name (e.g. whitespace before colon)"; return; }
            }
            if (colon == 17 && regionEqualsIgnoreCase(line, 0, "transfer-encoding")) {
                teCount++;
                teValue = trimmedValue(colon);
            } else if (colon == 14 && regionEqualsIgnoreCase(line, 0, "content-length")) {
                clCount++;
                String v = trimmedValue(colon);
                if (clValue != null && !clValue.equals(v)) { violation = "conflicting Content-Length"; return; }
                clValue = v;
            } else if (colon == 4 && regionEqualsIgnoreCase(line, 0, "host")) {
                hostCount++;
            }
        } finally {
            lineNo++;
            lineLen = 0;
            lineTotal = 0;
            valueHasCtl = false;
        }
    }

    /** Called once Netty successfully parsed the complete head. */
    private void checkHeadSemantics() {
        if (teCount > 0 && clCount > 0) { violation = "both Content-Length and Transfer-Encoding present"; return; }
        if (teCount > 1) { violation = "multiple Transfer-Encoding header lines"; return; }
        if (hostCount > 1) { violation = "more than one Host header line"; return; } // RFC 9112 §3.2: 400
        if (teCount == 1 && !"chunked".equalsIgnoreCase(teValue)) { violation = "Transfer-Encoding must be exactly 'chunked'"; return; }
        if (clCount > 0) {
            if (clCount > 1) { violation = "multiple Content-Length header lines"; return; }
            if (clValue.isEmpty() || clValue.length() > 18) { violation = "invalid Content-Length"; return; }
            for (int k = 0; k < clValue.length(); k++) {
                char c = clValue.charAt(k);
                if (c < '0' || c > '9') { violation = "invalid Content-Length"; return; }
            }
        }
    }

    private String trimmedValue(int colon) {
        if (lineTotal > lineLen) return "\u0000too-long";  // value not fully kept: never equals 'chunked'/digits
        int s = colon + 1, e = lineLen;
        while (s < e && (line[s] == ' ' || line[s] == '\t')) s++;
        while (e > s && (line[e - 1] == ' ' || line[e - 1] == '\t')) e--;
        return new String(line, s, e - s, java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    private static boolean regionEqualsIgnoreCase(byte[] a, int off, String s) {
        for (int k = 0; k < s.length(); k++) {
            int c = a[off + k];
            if (c >= 'A' && c <= 'Z') c += 32;
            if (c != s.charAt(k)) return false;
        }
        return true;
    }

    /** RFC 9110 token characters. */
    private static boolean isTchar(byte b) {
        if (b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9') return true;
        switch (b) {
            case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
            case '-': case '.': case '^': case '_': case '`': case '|': case '~':
                return true;
            default:
                return false;
        }
    }

    // ------------------------------------------------------------------------------------------------ chunk parser

    private void scanChunked(ByteBuf in, int from, int to) {
        int i = from;
        while (i < to && violation == null) {
            switch (cstate) {
                case SIZE: {
                    byte b = in.getByte(i++);
                    if (b == '\n') {
                        if (!cSawCR) { violation = "bare LF after chunk size"; return; }
                        if (cDigits == 0) { violation = "missing chunk size"; return; }
                        if (cValue == 0) { cstate = CState.TRAILER; cLineEmpty = true; cSawCR = false; }
                        else { cstate = CState.DATA; cRemaining = cValue; }
                        cDigits = 0; cValue = 0; cInExt = false; cSawCR = false; cBws = false;
                    } else if (cSawCR) {
                        violation = "bare CR in chunk size line"; return;
                    } else if (b == '\r') {
                        cSawCR = true;
                    } else if (cInExt) {
                        if (b == 0 || b == 0x7f || (b > 0 && b < 0x20 && b != '\t')) { violation = "control char in chunk extension"; return; }
                    } else if (b == ';' && cDigits > 0) {
                        cInExt = true;
                    } else if ((b == ' ' || b == '\t') && cDigits > 0) {
                        cBws = true;                          // BWS allowed only before ';' or CRLF

                    } else {
                        int d = Character.digit((char) (b & 0xff), 16);
                        if (d < 0) { violation = "invalid chunk size"; return; }
                        cDigits++;
                        cValue = cValue * 16 + d;
                        if (cBws) { violation = "invalid chunk size"; return; }
                        if (cValue > Integer.MAX_VALUE) {
                            violation = "chunk size overflow"; return;
                        }
                    }
                    break;
                }
                case DATA: {
                    long n = Math.min(cRemaining, to - i);
                    i += (int) n;
                    cRemaining -= n;
                    if (cRemaining == 0) cstate = CState.DATA_CR;
                    break;
                }
                case DATA_CR:
                    if (in.getByte(i++) != '\r') { violation = "chunk data not followed by CRLF"; return; }
                    cstate = CState.DATA_LF;
                    break;
                case DATA_LF:
                    if (in.getByte(i++) != '\n') { violation = "chunk data not followed by CRLF"; return; }
                    cstate = CState.SIZE;
                    break;
                case TRAILER: {
                    byte b = in.getByte(i++);
                    if (b == '\n') {
                        if (!cSawCR) { violation = "bare LF in trailer"; return; }
                        cSawCR = false;
                        if (cLineEmpty) { cstate = CState.DONE; } else { cLineEmpty = true; }
                    } else if (cSawCR) {
                        violation = "bare CR in trailer"; return;
                    } else if (b == '\r') {
                        cSawCR = true;
                    } else {
                        if (b == 0 || b == 0x7f || (b > 0 && b < 0x20 && b != '\t')) { violation = "control char in trailer"; return; }
                        cLineEmpty = false;
                    }
                    break;
                }
                case DONE:
                    violation = "bytes consumed after last chunk in same message"; return;
            }
        }
    }

}
