package io.backplane.group.sim;

import io.backplane.group.protocol.Kind;
import io.backplane.group.protocol.MessageId;
import io.backplane.group.protocol.ProcessId;
import io.backplane.group.protocol.View;

/**
 * One recorded event of a simulated run. The property checker reads only these; it trusts nothing the
 * engines computed internally (for example it recomputes happens-before from sends and deliveries).
 */
public record TraceEvent(long tick, Type type, ProcessId process, View view, MessageId message, long viewId,
                         Kind kind, String note) {
    public enum Type {
        START, INSTALL, REQUEST, SEND, DELIVER, CRASH, EXCLUDED, LEFT, AVAILABILITY, REJECTED, FAULT,
        /** The process accepted a proposal ending view {@code viewId} with {@code view} (view change phase 2). */
        ACCEPT
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
        if (note != null && !note.isEmpty()) {
            b.append(' ').append(note);
        }
        return b.toString();
    }
}
