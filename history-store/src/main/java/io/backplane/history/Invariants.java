package io.backplane.history;

/**
 * Always-on checks for programmer errors and broken on-disk invariants (STYLE.md habit 5): unlike
 * {@code assert}, they throw in production too, because a store that goes on past a broken
 * invariant spreads the damage (a renumbered or lost message) to every replica it feeds.
 */
final class Invariants {
    private Invariants() {
    }

    static void check(boolean condition, String format, Object... args) {
        if (!condition) {
            throw new IllegalStateException(String.format(format, args));
        }
    }
}
