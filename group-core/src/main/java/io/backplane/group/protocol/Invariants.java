package io.backplane.group.protocol;

/**
 * Always-on assertions for programmer errors. The JVM's {@code assert} is off by default, and a
 * group member whose own state is broken must stop (the view then excludes it) rather than spread
 * corruption to the rest of the group.
 */
public final class Invariants {
    private Invariants() {
    }

    /** Thrown when a protocol invariant is broken; never caught inside the protocol. */
    public static final class InvariantViolation extends RuntimeException {
        private static final long serialVersionUID = 1L;

        InvariantViolation(String message) {
            super(message);
        }
    }

    public static void check(boolean condition, String why) {
        if (!condition) {
            throw new InvariantViolation(why);
        }
    }

    public static void check(boolean condition, String why, Object arg) {
        if (!condition) {
            throw new InvariantViolation(why + ": " + arg);
        }
    }

    public static void check(boolean condition, String why, Object arg1, Object arg2) {
        if (!condition) {
            throw new InvariantViolation(why + ": " + arg1 + ", " + arg2);
        }
    }
}
