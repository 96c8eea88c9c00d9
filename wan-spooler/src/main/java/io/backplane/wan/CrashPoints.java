package io.backplane.wan;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Named crash points for fault tests of the WAN path (issue 7): with the environment variable
 * {@code BACKPLANE_CRASH_POINT=NAME} or {@code NAME@N}, the process halts at once (exit 137, as if
 * killed with SIGKILL: no shutdown hook, no flush) the N-th time (default 1st) it reaches point
 * {@code NAME}. Unset in production, a point costs one volatile read.
 *
 * <ul>
 *   <li>{@value #SPOOL_BEFORE_APPEND}: a post to {@code T@L} accepted, before it is appended to the spool;</li>
 *   <li>{@value #SPOOL_BEFORE_ANSWER}: the spooled post is durable, before the 202 goes out;</li>
 *   <li>{@value #BEFORE_SEND}: data frames read from the spool, before they are written to the link;</li>
 *   <li>{@value #AFTER_APPLY_BEFORE_ACK}: on the receiver, frames applied durably, before the Ack goes out;</li>
 *   <li>{@value #BEFORE_TRIM}: on the sender, an Ack received, before the spool is trimmed.</li>
 * </ul>
 */
public final class CrashPoints {
    public static final String SPOOL_BEFORE_APPEND = "wan.spool.before-append";
    public static final String SPOOL_BEFORE_ANSWER = "wan.spool.before-answer";
    public static final String BEFORE_SEND = "wan.before-send";
    public static final String AFTER_APPLY_BEFORE_ACK = "wan.after-apply-before-ack";
    public static final String BEFORE_TRIM = "wan.before-trim";

    private static final String ARMED;
    private static final long AT;
    private static final AtomicLong HITS = new AtomicLong();

    static {
        String spec = System.getenv("BACKPLANE_CRASH_POINT");
        if (spec == null || spec.isBlank()) {
            ARMED = null;
            AT = 0;
        } else {
            int at = spec.indexOf('@');
            ARMED = at < 0 ? spec.trim() : spec.substring(0, at).trim();
            AT = at < 0 ? 1 : Long.parseLong(spec.substring(at + 1).trim());
        }
    }

    private CrashPoints() {
    }

    /** Halts the process here if this point is armed and this is its N-th hit. */
    public static void hit(String name) {
        if (ARMED != null && ARMED.equals(name) && HITS.incrementAndGet() == AT) {
            System.out.println("crash point " + name + " reached: halting");
            System.out.flush();
            Runtime.getRuntime().halt(137);
        }
    }
}
