package io.backplane.node.topic;

/**
 * Always-on assertions for programmer errors (the JVM's {@code assert} is off in production).
 * A broken invariant throws; the caller stops rather than spread corrupt state.
 */
public final class Invariants {
    private Invariants() {
    }

    public static void check(boolean condition, String format, Object... args) {
        if (!condition) {
            throw new IllegalStateException("invariant broken: " + String.format(format, args));
        }
    }
}
