package dev.outpost.purge.e2e;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Calls a Vert.x client on a Vert.x context and waits for its answer, as production code does (the fan-out
 * worker and the proxy call their clients on their own context): a Vert.x 5.0 client called from a plain test
 * thread now and then never completed a request whose answer had arrived, nor timed it out.
 */
final class OnContext {

    private OnContext() {
    }

    static <T> T await(Context context, Supplier<Future<T>> call, long seconds) throws Exception {
        Promise<T> done = Promise.promise();
        context.runOnContext(v -> call.get().onComplete(done));
        return done.future().await(seconds, TimeUnit.SECONDS);
    }
}
