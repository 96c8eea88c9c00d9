package io.backplane.group.sim;

import io.backplane.group.protocol.Kind;
import io.backplane.group.protocol.MessageId;
import io.backplane.group.protocol.ProcessId;
import io.backplane.group.protocol.View;

/**
 * One recorded event of a simulated run. The property checker reads only these; it trusts nothing the
 * engines computed internally (for example it recomputes happens-before from sends and deliveries).
 *
 * @param abcastThrough for {@link Type#STABLE} only: the ABCAST ordinal every member of {@code viewId} has
 *                      delivered through, as the process reported it; 0 for every other event
 */
public record TraceEvent(long tick, Type type, ProcessId process, View view, MessageId message, long viewId,
                         Kind kind, String note, long abcastThrough) {
    public enum Type {
        START, INSTALL, REQUEST, SEND, DELIVER, CRASH, EXCLUDED, LEFT, AVAILABILITY, REJECTED, FAULT,
        /** The process accepted a proposal ending view {@code viewId} with {@code view} (view change phase 2). */
        ACCEPT,
        /** The process reported the first {@code abcastThrough} ABCASTs of view {@code viewId} stable. */
        STABLE
    }

    /** Any event but {@link Type#STABLE}. */
    public TraceEvent(long tick, Type type, ProcessId process, View view, MessageId message, long viewId, Kind kind,
                      String note) {
        this(tick, type, process, view, message, viewId, kind, note, 0);
    }

    /** The process reported ABCASTs 1..{@code abcastThrough} of view {@code viewId} delivered by every member. */
    public static TraceEvent stable(long tick, ProcessId p, long viewId, long abcastThrough) {
        return new TraceEvent(tick, Type.STABLE, p, null, null, viewId, null, "", abcastThrough);
    }

    /** An event without a message or view. */
    public static TraceEvent of(long tick, Type type, ProcessId p, String note) {
        return new TraceEvent(tick, type, p, null, null, 0, null, note);
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder().append(tick).append(' ').append(type);
        if (process != null) {
            b.append(' ').append(process);
        }
        if (view != null) {
            b.append(' ').append(view);
        }
        if (message != null) {
            b.append(' ').append(message).append(" v").append(viewId).append(' ').append(kind);
        }
        if (type == Type.STABLE) {
            b.append(" v").append(viewId).append(" through ").append(abcastThrough);
        }
        if (note != null && !note.isEmpty()) {
            b.append(' ').append(note);
        }
        return b.toString();
    }
}
