package io.backplane.group.sim;

import io.backplane.group.groups.CallId;
import io.backplane.group.groups.GroupView;
import io.backplane.group.groups.Want;
import io.backplane.group.protocol.Kind;
import io.backplane.group.protocol.MessageId;
import io.backplane.group.protocol.ProcessId;

import java.util.List;

/**
 * One recorded event of a group-layer run, as the application saw it. The group checker reads only these
 * and recomputes everything else (happens-before included) from them.
 *
 * @param groupViewId for SEND the group view it was sent in (0 for a client send), for DELIVER the view it
 *                    was delivered in, for LAN_VIEW the LAN view id
 * @param seq         for DELIVER the per-group sequence number the layer gave it
 */
public record GroupTraceEvent(long tick, Type type, ProcessId process, long groupId, GroupView view, boolean member,
                              MessageId message, long groupViewId, Kind kind, long seq, String note, Detail detail) {
    /** What an RPC or toolkit event adds; null for the others. */
    public sealed interface Detail {
    }

    /** CALL at the caller (cc: a coordinator-cohort request); on a DELIVER, the call that message carries. */
    public record CallInfo(CallId id, Want want, boolean cc) implements Detail {
    }

    /** RESULT at the caller: the repliers counted (values, then null replies) and the error, if any. */
    public record ResultInfo(CallId id, long groupViewId, List<ProcessId> repliers, List<ProcessId> nullRepliers,
                             String error) implements Detail {
    }

    /** REPLY at the replier (the application answered); REPLY_SEEN where a reply was delivered. */
    public record ReplyInfo(CallId id, ProcessId replier, boolean nullReply) implements Detail {
    }

    /** LOCK_ASK, GRANT (with the request message) and RELEASE. */
    public record LockInfo(long lock, MessageId request) implements Detail {
    }

    /**
     * XFER, the simulated application's state of a group with state transfer: {@code what} is "at" (a holder's
     * state at a group view: {@code viewId} that view, {@code cut} its deliveredBefore), "got" (a transfer
     * completed: the state for the join in {@code viewId} as of {@code cut}, {@code ids} its messages), "lost"
     * (the state was declared lost at group view {@code viewId}) or "abandoned".
     */
    public record XferInfo(String what, long viewId, long cut, int size, long hash, List<MessageId> ids)
            implements Detail {
        @Override
        public String toString() {
            return what + " v" + viewId + " cut " + cut + " size " + size + " hash " + Long.toHexString(hash);
        }
    }

    /** STATE at a group view boundary of a member holding the replicated state; CONFIG a version seen. */
    public record StateInfo(long version, long hash) implements Detail {
    }

    public GroupTraceEvent(long tick, Type type, ProcessId process, long groupId, GroupView view, boolean member,
                           MessageId message, long groupViewId, Kind kind, long seq, String note) {
        this(tick, type, process, groupId, view, member, message, groupViewId, kind, seq, note, null);
    }

    public static GroupTraceEvent tool(long tick, Type type, ProcessId p, long groupId, long groupViewId, Detail d) {
        return new GroupTraceEvent(tick, type, p, groupId, null, false, null, groupViewId, null, 0, "", d);
    }

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
        NOTE,
        /** Group RPC: a call made, its result at the caller, a reply sent, a reply delivered. */
        CALL, RESULT, REPLY, REPLY_SEEN,
        /** Lock tool: a request made, a grant, a release made. */
        LOCK_ASK, GRANT, RELEASE,
        /** Replicated data: the state digest at a group view, a configuration version seen. */
        STATE, CONFIG,
        /** State transfer, as the simulated application saw it ({@link XferInfo}). */
        XFER
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
        if (detail != null) {
            b.append(" g").append(groupId).append(' ').append(detail);
        }
        return b.toString();
    }
}
