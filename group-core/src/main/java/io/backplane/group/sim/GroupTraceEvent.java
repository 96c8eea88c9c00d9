package io.backplane.group.sim;

import io.backplane.group.groups.GroupView;
import io.backplane.group.protocol.Kind;
import io.backplane.group.protocol.MessageId;
import io.backplane.group.protocol.ProcessId;

/**
 * One recorded event of a group-layer run, as the application saw it. The group checker reads only these
 * and recomputes everything else (happens-before included) from them.
 *
 * @param groupViewId for SEND the group view it was sent in (0 for a client send), for DELIVER the view it
 *                    was delivered in, for LAN_VIEW the LAN view id
 * @param seq         for DELIVER the per-group sequence number the layer gave it
 */
public record GroupTraceEvent(long tick, Type type, ProcessId process, long groupId, GroupView view, boolean member,
                              MessageId message, long groupViewId, Kind kind, long seq, String note) {
    public enum Type {
        /** A process incarnation starts (founder or joiner). */
        START,
        /** A process incarnation stops: crash, invariant, exclusion or LAN leave. */
        STOP,
        /** A group view reported to the process ({@code member} says whether it is in it). */
        VIEW,
        SEND,
        DELIVER,
        /** The process installed a LAN view. */
        LAN_VIEW,
        /** Requests, faults and LAN views, for reading a trace. */
        NOTE
    }

    public static GroupTraceEvent note(long tick, Type type, ProcessId p, String note) {
        return new GroupTraceEvent(tick, type, p, 0, null, false, null, 0, null, 0, note);
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder().append(tick).append(' ').append(type);
        if (process != null) {
            b.append(' ').append(process);
        }
        if (view != null) {
            b.append(' ').append(view).append(member ? " member" : " not-member");
        }
        if (message != null) {
            b.append(" g").append(groupId).append(' ').append(message).append(" gv").append(groupViewId)
                    .append(' ').append(kind);
            if (type == Type.DELIVER) {
                b.append(" #").append(seq);
            }
        }
        if (note != null && !note.isEmpty()) {
            b.append(' ').append(note);
        }
        return b.toString();
    }
}
