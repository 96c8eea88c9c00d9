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

    /** The sender asks to join the group (ABCAST: ordered with the group's messages). */
    record Join(long groupId) implements GroupFrame {
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

    /** One group in a snapshot. */
    record Entry(long groupId, long viewId, long delivered, List<io.backplane.group.protocol.ProcessId> members) {
        public Entry {
            members = List.copyOf(members);
        }
    }
}
