package io.backplane.group.protocol;

import java.util.List;

/**
 * Every protocol frame, one record per kind. docs/WIRE.md lists each with its fields and why it exists;
 * {@link FrameCodec} is the only place that knows their byte layout.
 */
public sealed interface Frame {
    /**
     * Liveness signal and view announcement, unreliable; {@code viewId} 0 while joining. A non-zero
     * {@code promisedRound} says the sender is frozen by a view-change ballot, so a coordinator that is
     * not running that view change knows it must finish one.
     */
    record Heartbeat(long viewId, long promisedRound) implements Frame {
    }

    /** Carries only the channel acknowledgement of its packet. */
    record AckOnly() implements Frame {
    }

    /** A new incarnation asks the coordinator to add it; repeated until a view includes it. */
    record JoinRequest() implements Frame {
    }

    /** A member asks the coordinator to remove it in the next view. */
    record LeaveRequest(long viewId) implements Frame {
    }

    /** Tells a process that view {@code viewId} (newer than its own) excludes it: it must rejoin. */
    record NotMember(long viewId) implements Frame {
    }

    /** An application multicast. */
    record Data(Message message) implements Frame {
    }

    /**
     * Consecutive multicasts of one sender in view {@code viewId}, sent as one frame: what a sender
     * produced in one event (a burst of requests) costs one packet per peer instead of one per message.
     */
    record DataBatch(long viewId, List<Message> messages) implements Frame {
        public DataBatch {
            messages = List.copyOf(messages);
            Invariants.check(!messages.isEmpty(), "an empty data batch");
            for (Message m : messages) {
                Invariants.check(m.viewId() == viewId && m.id().sender().equals(messages.get(0).id().sender()),
                        "a data batch holds one sender's messages of one view", m);
            }
        }
    }

    /** The sequencer's total order: ordinals {@code firstOrdinal, firstOrdinal+1, ...} of the view's ABCASTs. */
    record OrderBatch(long viewId, long firstOrdinal, List<MessageId> ids) implements Frame {
        public OrderBatch {
            ids = List.copyOf(ids);
        }
    }

    /** What the sender has delivered in the view, for stability tracking and garbage collection. */
    record Stability(long viewId, long[] delivered, long abcastDelivered) implements Frame {
    }

    /** Members the sender suspects, reported to the coordinator (repeated while the suspicion lasts). */
    record Suspect(long viewId, List<ProcessId> suspects) implements Frame {
        public Suspect {
            suspects = List.copyOf(suspects);
        }
    }

    /** Phase 1 of a view change: stop sending, promise the ballot, report unstable state. */
    record FlushStart(long viewId, Ballot ballot) implements Frame {
    }

    /**
     * Phase 1 reply: the member's delivered prefix, every message of the view it still holds, the ABCAST
     * order it knows, and the proposal it accepted earlier, if any ({@code accepted} may be null).
     */
    record FlushOk(long viewId, Ballot ballot, long[] delivered, long abcastDelivered, List<Message> held,
                   long orderBase, List<MessageId> order, Ballot acceptedBallot, Proposal accepted)
            implements Frame {
        public FlushOk {
            held = List.copyOf(held);
            order = List.copyOf(order);
        }
    }

    /** The receiver already promised a higher ballot; the coordinator must retry above it. */
    record FlushNack(long viewId, Ballot promised) implements Frame {
    }

    /** Phase 2: accept this proposal (stored, not yet acted on). */
    record Propose(long viewId, Ballot ballot, Proposal proposal) implements Frame {
    }

    /** Phase 2 reply. */
    record Accept(long viewId, Ballot ballot) implements Frame {
    }

    /** The proposal is chosen: deliver its final set in the old view, then install its view. */
    record Commit(Proposal proposal) implements Frame {
    }

    /**
     * Point-to-point bytes to one member of the same view (no vector timestamp, no order beyond the
     * reliable FIFO channel; dropped with the view if it ends first). Carries state-transfer chunk requests
     * and chunks, which only the joiner and its donor need: multicasting megabytes of state to every
     * process would cost every receiver for nothing.
     */
    record Direct(long viewId, byte[] payload) implements Frame {
    }
}
