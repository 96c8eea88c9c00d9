package io.backplane.group.toolkit;

import io.backplane.group.groups.CallId;
import io.backplane.group.protocol.MessageId;

/** What the {@link Toolkit} tells its host's application, drained in order after the effects that caused it. */
public sealed interface ToolEffect {
    /**
     * This process now holds {@code lock} of the group. {@code request} is the ABCAST that asked for it
     * (null only under the planted bug that grants on request).
     */
    record Granted(long groupId, long lock, MessageId request) implements ToolEffect {
    }

    /**
     * This process is the coordinator for a coordinator-cohort request (first, or after the members ranked
     * before it left without their reply being delivered): compute and {@link Toolkit#answer} it.
     */
    record Act(CallId callId, byte[] payload) implements ToolEffect {
    }

    /** A new version of the group's replicated configuration record (versions 1, 2, … in order). */
    record ConfigChanged(long groupId, long groupViewId, long version, byte[] value) implements ToolEffect {
    }

    /** This member now holds the group's replicated state (at its creation, or from a member that had it). */
    record Synced(long groupId, long groupViewId) implements ToolEffect {
    }
}
