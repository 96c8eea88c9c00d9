package io.backplane.group.groups;

import io.backplane.group.protocol.Effect;
import io.backplane.group.protocol.Kind;
import io.backplane.group.protocol.MessageId;
import io.backplane.group.protocol.ProcessId;

import java.util.List;

/**
 * What a {@link GroupLayer} asks its host to do or tells it happened, drained in order after every event.
 * LAN-level effects of the engine underneath (packets to send, LAN views, availability, exclusion) pass
 * through wrapped in {@link Lan}.
 */
public sealed interface GroupEffect {
    /** An effect of the LAN engine, for the host to carry out exactly as without the group layer. */
    record Lan(Effect effect) implements GroupEffect {
    }

    /**
     * A group multicast left this process. {@code groupViewId} is the group view it was sent in, or 0 when
     * this process sent it as a client (not a member): client messages are ABCAST and take the group view
     * of their place in the total order. {@code kind} is the ordering promised: what was asked, or ABCAST
     * for a client.
     */
    record Sent(long requestId, long groupId, MessageId id, long groupViewId, Kind kind) implements GroupEffect {
    }

    /**
     * Hand a group message to the application. {@code seq} counts the group's messages delivered so far
     * (1-based, across views); the set delivered in each group view is the same at every member.
     */
    record Deliver(long groupId, long groupViewId, long seq, MessageId id, Kind kind, byte[] payload)
            implements GroupEffect {
    }

    /**
     * A new view of a group this process belongs to, just left, or monitors ({@link GroupLayer#monitor}).
     * {@code member} says whether this process is in it.
     */
    record ViewChange(GroupView view, boolean member) implements GroupEffect {
    }

    /**
     * Donor side of state transfer, "write state from point X": answer with {@link GroupLayer#stateChunk}
     * carrying bytes {@code [offset, offset + maxBytes)} of the group's state as of its first {@code cutSeq}
     * messages (fewer than {@code maxBytes} bytes ends the state; an empty answer ends it exactly). It comes
     * after this process's {@link ViewChange} of the joiner's join view, so the application has reached the
     * cut, and may have gone past it: the state asked for can be older than the current one (a history store
     * streams it from disk; an in-memory application keeps what it needs to write the state as of any point
     * since its own state began). Every donor must write the same bytes for the same cut: a transfer
     * continues from the last chunk with another donor if this one fails.
     */
    record WriteState(ProcessId joiner, long groupId, long joinViewId, long cutSeq, long offset, int maxBytes)
            implements GroupEffect {
    }

    /**
     * Joiner side, "apply chunk": the next bytes (from {@code offset}, in order, each once) of the group's
     * state as of {@code cutSeq}. Chunks are handed over as they arrive, possibly before this process's
     * view of the join reaches it: the application buffers or stages them and takes the state over at
     * {@link StateTransferred}.
     */
    record ApplyStateChunk(long groupId, long joinViewId, long cutSeq, long offset, byte[] bytes)
            implements GroupEffect {
    }

    /** How a state transfer ended. */
    enum Outcome {
        /**
         * The whole state as of the cut arrived (or this process founded the group: the state is empty).
         * Reported right after the join {@link ViewChange}, before every later effect of every group.
         */
        COMPLETE,
        /**
         * No member of the group held its state any more (every holder left or failed while the others were
         * still receiving it): every member is told at the same group view, where the group's state restarts
         * empty for all of them. Also told to members that joined without state.
         */
        LOST,
        /** This process left the group (or joined it again) before its transfer finished. */
        ABANDONED,
        /**
         * Every member that held the state at this process's join point left or failed, while members that
         * joined later hold it (a newer state, which would not match this process's cut): the application
         * should leave the group, and may join it again. Until then it is a member without the state.
         */
        NO_DONOR
    }

    /**
     * The end of this process's state transfer for a group (after {@link GroupLayer#joinWithState}), or the
     * loss of the group's state. Until it comes, the layer holds back every effect for the application of
     * every group after the join point (a later message of another group may causally follow one of this
     * group); it comes right after the join {@link ViewChange} (except {@link Outcome#LOST}, which comes at the
     * view of the loss), and the held effects follow it, in order, each exactly once. After any outcome but
     * COMPLETE the application has no state of the group until a LOST (empty state for all) or a new join.
     */
    record StateTransferred(long groupId, long joinViewId, long cutSeq, Outcome outcome) implements GroupEffect {
    }

    /** A group request was refused (the process terminated, or a bounded queue is full). */
    record Rejected(long requestId, String reason) implements GroupEffect {
    }

    /**
     * A group RPC delivered to a member: like {@link Deliver} (same {@code seq} count, same view rules), and
     * the member answers with {@link GroupLayer#reply} or {@link GroupLayer#nullReply} under {@code callId}.
     */
    record Call(CallId callId, long groupViewId, long seq, MessageId id, Kind kind, byte[] payload)
            implements GroupEffect {
    }

    /**
     * A reply to a call was delivered here; reported to the caller and to every member of the called
     * group (so cohorts learn that a coordinator answered), whether or not the caller counted it.
     */
    record ReplySeen(CallId callId, ProcessId replier, boolean nullReply) implements GroupEffect {
    }

    /** One non-null reply of a group RPC. */
    record Reply(ProcessId from, byte[] value) {
    }

    /**
     * The outcome of a group RPC, reported exactly once to the caller. {@code groupViewId} is the group view
     * the call was delivered in (0 if it never was); {@code replies} are the values, {@code nullRepliers}
     * the members that answered with a null reply (counted, no value); {@code error} is null on success,
     * otherwise why the wanted count can no longer be reached (its possible repliers failed or left, the
     * group had too few members, the call was refused, or this process stopped).
     */
    record RpcResult(CallId callId, long groupViewId, List<Reply> replies, List<ProcessId> nullRepliers, String error)
            implements GroupEffect {
        public RpcResult {
            replies = List.copyOf(replies);
            nullRepliers = List.copyOf(nullRepliers);
        }

        public boolean ok() {
            return error == null;
        }
    }
}
