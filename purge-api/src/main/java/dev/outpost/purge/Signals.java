package dev.outpost.purge;

import java.util.concurrent.atomic.AtomicBoolean;
import sun.misc.Signal;

/** SIGTERM and SIGINT run a handler once, on a fresh thread, instead of the JVM's exit with 143. */
final class Signals {

    private Signals() {
    }

    static void onTerminate(Runnable handler) {
        AtomicBoolean once = new AtomicBoolean();
        for (String name : new String[] {"TERM", "INT"}) {
            Signal.handle(new Signal(name), sig -> {
                if (once.compareAndSet(false, true)) {
                    new Thread(handler, "shutdown").start();
                }
            });
        }
    }
}
