package io.backplane.group.sim;

import io.backplane.group.protocol.Engine;
import io.backplane.group.protocol.ProcessId;
import io.backplane.group.protocol.View;

import java.util.Collection;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Whether a simulator may take a process down (crash it or let it leave) during the fault phase: only
 * if every view that could still be current — each live engine's installed view and the view it has
 * accepted — keeps a live majority with one spare, so the liveness phase has a primary partition to
 * converge to. Losing the majority is a legitimate outcome (the group blocks, as it must), but then
 * liveness cannot be asserted. Shared by the LAN and the group simulations so the rule cannot drift.
 */
final class CrashGuard {
    private CrashGuard() {
    }

    /**
     * @param engines  every slot's engine, null for a slot that is down
     * @param node     the slot to take down
     * @param goneAnyway processes to count as gone already (e.g. members that asked to leave)
     */
    static boolean safeToTakeDown(Collection<Engine> engines, int node, Predicate<ProcessId> goneAnyway) {
        Set<ProcessId> alive = new HashSet<>();
        for (Engine e : engines) {
            if (e != null && e.self().node() != node && !e.isTerminated() && !goneAnyway.test(e.self())) {
                alive.add(e.self());
            }
        }
        for (Engine e : engines) {
            if (e == null || e.isTerminated()) {
                continue;
            }
            for (View v : new View[] {e.view(), e.acceptedNextView()}) {
                if (v == null) {
                    continue;
                }
                int live = 0;
                for (ProcessId m : v.members()) {
                    if (alive.contains(m)) {
                        live++;
                    }
                }
                // one spare: a member may be excluded for a false suspicion and must not sink the majority
                if (!v.isMajority(live - 1)) {
                    return false;
                }
            }
        }
        return true;
    }
}
