package io.backplane.group.groups;

import java.util.List;

/**
 * What the group layer puts in the payload of a LAN multicast. docs/WIRE.md ("Group layer payloads")
 * lists each with its fields and why it exists; {@link GroupCodec} owns the byte layout.
 */
sealed interface GroupFrame {
    /**
     * An application message to a group. {@code lanViewId} is the LAN view the sender meant it for: if the
     * engine had to send it in a later LAN view, every process discards it and the sender sends it again,
     * so the group view stamp is never stale. {@code groupViewId} 0 marks a client (non-member) message.
     */
    record Data(long lanViewId, long groupId, long groupViewId, byte[] body) implements GroupFrame {
    }

    /**
     * A group RPC: an application message to a group, stamped like {@link Data}, that its members answer.
     * The caller is the LAN sender; {@code callSeq} is the caller's request id.
     */
    record Call(long lanViewId, long groupId, long groupViewId, long callSeq, byte[] body) implements GroupFrame {
    }

    /**
     * A member's answer to a call, multicast on the LAN (CBCAST) and stamped like a member {@link Data}
     * message with the replier's group view, so it is delivered in that view everywhere (before the view
     * change that removes the replier, if at all). The caller counts it; members of the group see it (the
     * coordinator-cohort tool relies on that). {@code nullReply}: answered, nothing to say.
     */
    record Reply(long lanViewId, long groupId, long groupViewId, io.backplane.group.protocol.ProcessId caller,
                 long callSeq, boolean nullReply, byte[] body) implements GroupFrame {
    }

    /**
     * The sender asks to join the group (ABCAST: ordered with the group's messages). With {@code withState}
     * it receives the group's state as of its join point from a member holding it before it is given
     * anything after that point (state transfer; ARCHITECTURE.md §7.1).
     */
    record Join(long groupId, boolean withState) implements GroupFrame {
        public Join(long groupId) {
            this(groupId, false);
        }
    }

    /**
     * The sender has received the whole state of the group for its join in group view {@code joinViewId}
     * (ABCAST, so every directory marks it a holder, hence a possible donor, at the same point).
     */
    record StateDone(long groupId, long joinViewId) implements GroupFrame {
    }

    /**
     * Point-to-point ({@code Direct} engine frame), joiner to donor: the state of the group as of its first
     * {@code cutSeq} messages (the joiner's join in group view {@code joinViewId}), from byte {@code offset}.
     */
    record ChunkRequest(long groupId, long joinViewId, long cutSeq, long offset) implements GroupFrame {
    }

    /** Point-to-point, donor to joiner: the state's bytes from {@code offset}; {@code last} ends the state. */
    record Chunk(long groupId, long joinViewId, long offset, boolean last, byte[] bytes) implements GroupFrame {
    }

    /** The sender asks to leave the group (ABCAST). */
    record Leave(long groupId) implements GroupFrame {
    }

    /**
     * A member's group flush for a pending join or leave (ABCAST): it has sent everything it will send in
     * group view {@code groupViewId}. The new group view is installed where the last member's flush falls
     * in the total order.
     */
    record Flush(long lanViewId, long groupId, long groupViewId) implements GroupFrame {
    }

    /**
     * The group directory as of the start of LAN view {@code lanViewId}, for members new to the LAN, with
     * the last group view id handed out.
     */
    record Snapshot(long lanViewId, long lastGroupViewId, List<Entry> groups) implements GroupFrame {
        public Snapshot {
            groups = List.copyOf(groups);
        }
    }

    /** One group in a snapshot, with its members that do not hold its state ({@link Lacking}). */
    record Entry(long groupId, long viewId, long delivered, List<io.backplane.group.protocol.ProcessId> members,
                 List<Lacking> lacking) {
        public Entry {
            members = List.copyOf(members);
            lacking = List.copyOf(lacking);
        }

        public Entry(long groupId, long viewId, long delivered, List<io.backplane.group.protocol.ProcessId> members) {
            this(groupId, viewId, delivered, members, List.of());
        }
    }

    /**
     * A member that does not hold the group's state, and the group view its membership began in: it joined
     * a group with members without state, or with state and its transfer has not finished (its
     * {@link StateDone} names that view, so one of an earlier membership never counts).
     */
    record Lacking(io.backplane.group.protocol.ProcessId who, long sinceViewId) {
    }
}
