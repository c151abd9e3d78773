package dev.outpost.edge;

import sun.misc.Signal;

/**
 * SIGTERM and SIGINT run a handler (on a fresh thread) instead of the JVM's default exit with 143,
 * so a drained shutdown can exit 0 as orchestrators expect.
 */
final class Signals {

    private Signals() {
    }

    static void onTerminate(Runnable handler) {
        java.util.concurrent.atomic.AtomicBoolean once = new java.util.concurrent.atomic.AtomicBoolean();
        for (String name : new String[] {"TERM", "INT"}) {
            Signal.handle(new Signal(name), sig -> {
                if (once.compareAndSet(false, true)) {
                    new Thread(handler, "shutdown").start();
                }
            });
        }
    }
}
