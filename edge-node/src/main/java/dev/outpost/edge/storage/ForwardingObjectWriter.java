package dev.outpost.edge.storage;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;

/**
 * An {@link ObjectWriter} that forwards every method to another one; decorators override only what
 * they change. A method added to ObjectWriter must be forwarded here, so that no decorator silently
 * falls back to an interface default (e.g. back-pressure signals).
 */
public abstract class ForwardingObjectWriter implements ObjectWriter {

    protected final ObjectWriter delegate;

    protected ForwardingObjectWriter(ObjectWriter delegate) {
        this.delegate = delegate;
    }

    @Override
    public void write(ByteBuffer chunk) {
        delegate.write(chunk);
    }

    @Override
    public CompletableFuture<Boolean> commit() {
        return delegate.commit();
    }

    @Override
    public void abort() {
        delegate.abort();
    }

    @Override
    public boolean isAbandoned() {
        return delegate.isAbandoned();
    }

    @Override
    public boolean writeQueueFull() {
        return delegate.writeQueueFull();
    }

    @Override
    public void drainHandler(Runnable onDrain) {
        delegate.drainHandler(onDrain);
    }

    @Override
    public boolean overtakenByPurge() {
        return delegate.overtakenByPurge();
    }

    @Override
    public StoredBody growingBody() {
        return delegate.growingBody();
    }
}
