package io.backplane.group.groups;

import io.backplane.group.protocol.Effect;
import io.backplane.group.protocol.Kind;
import io.backplane.group.protocol.MessageId;

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

    /** A group request was refused (the process terminated, or a bounded queue is full). */
    record Rejected(long requestId, String reason) implements GroupEffect {
    }
}
