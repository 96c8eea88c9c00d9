package io.backplane.group.groups;

import io.backplane.group.protocol.ProcessId;

import java.util.List;

/**
 * One view of a lightweight group: an id that only grows (per group), the members in join order (oldest
 * first), and how many messages of the group were delivered before it, which is the same at every member
 * (the per-group sequence number of the next delivery is {@code deliveredBefore + 1}).
 *
 * @param groupId          the group
 * @param viewId           the group view id: grows with every view of the group, and is never reused
 *                         even by a group that emptied and was created again (one counter per directory)
 * @param members          members in join order; empty when the last member has left
 * @param deliveredBefore  group messages delivered in all earlier views
 */
public record GroupView(long groupId, long viewId, List<ProcessId> members, long deliveredBefore) {
    public GroupView {
        members = List.copyOf(members);
    }

    public boolean contains(ProcessId p) {
        return members.contains(p);
    }

    @Override
    public String toString() {
        return "g" + groupId + ".v" + viewId + members + "@" + deliveredBefore;
    }
}
