package io.backplane.group.protocol;

import java.util.List;

/**
 * The decision that ends view {@code prevViewId}: the next view, and exactly what every surviving member
 * delivers in the old view before installing it. Once committed it is immutable; a coordinator that takes
 * over a half-finished view change re-proposes the accepted proposal unchanged.
 *
 * @param prevViewId  the view being ended
 * @param prevMembers its members in age order (ranks index {@code finalCount})
 * @param next        the new view
 * @param leavers     old members that asked to leave: they deliver the final set, then stop
 * @param finalCount  per old-member rank, how many of its messages of the old view are delivered in it
 * @param messages    every message some survivor may lack (those beyond the minimum delivered prefix)
 * @param abcastBase  the number of ABCASTs every survivor had delivered in the old view
 * @param abcastOrder the ABCASTs to deliver after {@code abcastBase}, in their one total order
 */
public record Proposal(long prevViewId, List<ProcessId> prevMembers, View next, List<ProcessId> leavers,
                       long[] finalCount, List<Message> messages, long abcastBase, List<MessageId> abcastOrder) {
    public Proposal {
        prevMembers = List.copyOf(prevMembers);
        leavers = List.copyOf(leavers);
        messages = List.copyOf(messages);
        abcastOrder = List.copyOf(abcastOrder);
        Invariants.check(next.id() == prevViewId + 1, "view ids grow by one per view change", next);
        Invariants.check(finalCount.length == prevMembers.size(), "one final count per old member");
    }

    /** True when {@code p} joins in the new view (it was not in the old one). */
    public boolean isJoiner(ProcessId p) {
        return next.contains(p) && !prevMembers.contains(p);
    }
}
