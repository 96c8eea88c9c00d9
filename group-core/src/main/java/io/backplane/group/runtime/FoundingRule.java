package io.backplane.group.runtime;

import java.util.Collection;
import java.util.TreeSet;

/**
 * When a joining node that nobody admitted may found a new group (ARCHITECTURE.md §7.2). A pure function
 * of what gossip told it, so it is tested on its own; {@link ClusterMember} evaluates it on the engine
 * thread once the founding delay is over and calls {@code Engine.found} when it says so.
 *
 * <p>The rule: found iff
 * <ol>
 *   <li>no fresh peer is a MEMBER (an available view exists: join it instead), and no fresh peer has been
 *       UNAVAILABLE for less than the stuck-member grace (a view may be in the middle of a view change);</li>
 *   <li>the set S = this node ∪ the fresh peers heard JOINING for at least {@code stableNanos} is a strict
 *       majority of {@code expectedSize}; and</li>
 *   <li>this node has the smallest slot in S.</li>
 * </ol>
 * The founded view's id is one more than the highest view id heard in gossip (at least 1).
 */
final class FoundingRule {
    record Decision(boolean found, long viewIdAtLeast, String reason) {
    }

    private FoundingRule() {
    }

    static Decision decide(int selfSlot, int expectedSize, Collection<PeerStatus> peers, long nowNanos,
                           long freshNanos, long stableNanos, long stuckGraceNanos) {
        TreeSet<Integer> joining = new TreeSet<>();
        joining.add(selfSlot);
        long highestViewId = 0;
        for (PeerStatus p : peers) {
            highestViewId = Math.max(highestViewId, p.status().viewId());
            if (p.slot() == selfSlot || nowNanos - p.lastHeardNanos() > freshNanos) {
                continue;
            }
            byte code = p.status().code();
            if (code == MemberStatus.MEMBER) {
                return new Decision(false, 0, p.name() + " is a member of view " + p.status().viewId());
            }
            if (code == MemberStatus.UNAVAILABLE && nowNanos - p.sinceNanos() < stuckGraceNanos) {
                return new Decision(false, 0, p.name() + " is a member of view " + p.status().viewId()
                        + " that is unavailable, for less than the grace period so far");
            }
            if (code == MemberStatus.JOINING && nowNanos - p.sinceNanos() >= stableNanos) {
                joining.add(p.slot());
            }
        }
        if (2 * joining.size() <= expectedSize) {
            return new Decision(false, 0, joining.size() + " of an expected " + expectedSize
                    + " nodes are joining: not a majority");
        }
        if (joining.first() != selfSlot) {
            return new Decision(false, 0, "slot " + joining.first() + " is smaller and founds");
        }
        return new Decision(true, highestViewId + 1, "smallest slot of " + joining.size() + " joining nodes of an expected "
                + expectedSize);
    }
}
