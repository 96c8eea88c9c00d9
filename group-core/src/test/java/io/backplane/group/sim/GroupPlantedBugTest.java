package io.backplane.group.sim;

import io.backplane.group.groups.GroupPlantedBug;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The group checker can fail: each deliberate bug in the group layer is caught, by the property it
 * breaks, within a bounded number of seeds.
 */
class GroupPlantedBugTest {
    /**
     * LAN_CHANGE_ONLY_OWN_GROUPS needs a LAN view change to hit a process that is outside a group
     * while a message of that group is in flight: first caught at seed 16 before the engine batched
     * frames per event, at seed 148 after (the schedules changed). The others are caught at seed 1.
     * The RPC and toolkit bugs (2026-11-23): RPC_DUPLICATE_REPLY_COUNTED at seed 4, LOCK_GRANT_NEWEST at 14,
     * LOCK_NO_RELEASE_ON_FAILURE at 6, MAP_UPDATE_AS_CBCAST at 5, the others at seed 1. With state transfer on
     * every seed (2026-11-23, schedules changed again): LAN_CHANGE_ONLY_OWN_GROUPS at 194, LOCK_GRANT_ON_REQUEST
     * at 2, LOCK_GRANT_NEWEST at 6, LOCK_NO_RELEASE_ON_FAILURE at 4, RPC_DUPLICATE_REPLY_COUNTED at 4,
     * MAP_UPDATE_AS_CBCAST at 5, DONOR_WRITES_CURRENT_STATE at 1, the others at 1.
     */
    private static final int SEEDS_MAX = 300;

    @ParameterizedTest(name = "{0} is caught as {1}")
    @CsvSource({
            "SKIP_GROUP_FLUSH, GROUP_VIEW_SYNCHRONY, false",
            "GROUP_ABCAST_AS_CBCAST, GROUP_TOTAL_ORDER, false",
            "CROSS_GROUP_DEFERRED, CROSS_GROUP_CAUSAL, false",
            "LAN_CHANGE_ONLY_OWN_GROUPS, GROUP_VIEW_AGREEMENT, false",
            "RPC_DUPLICATE_REPLY_COUNTED, RPC_REPLIES, true",
            "RPC_NO_ERROR_ON_FAILURE, RPC_COMPLETION, true",
            "LOCK_GRANT_ON_REQUEST, LOCK_EXCLUSION, true",
            "LOCK_GRANT_NEWEST, LOCK_FIFO, true",
            "LOCK_NO_RELEASE_ON_FAILURE, LOCK_LIVENESS, true",
            "COHORT_TAKEOVER_UNCHECKED, COORDINATOR_COHORT, true",
            "MAP_UPDATE_AS_CBCAST, REPLICATED_DATA, true",
            "DONOR_WRITES_CURRENT_STATE, STATE_TRANSFER, true"
    })
    void thePlantedGroupBugIsCaughtWithinABoundedNumberOfSeeds(GroupPlantedBug bug, Property expected, boolean tools) {
        long caughtAt = -1;
        for (long seed = 1; seed <= SEEDS_MAX && caughtAt < 0; seed++) {
            GroupScenario s = GroupScenario.fromSeed(seed).withBugs(Set.of(bug));
            // Group-layer bugs run on the group workload alone, as when they were planted: with the RPC and
            // toolkit traffic too, LAN_CHANGE_ONLY_OWN_GROUPS trips the layer's own invariant (a member
            // message delivered against a stale directory) before any view disagreement is recorded.
            GroupSimulation.Result r = GroupSimulation.run(tools ? s : s.withTools(GroupScenario.Tools.NONE));
            if (r.broke(expected)) {
                caughtAt = seed;
            }
        }
        System.out.println(bug + " caught as " + expected + " at seed " + caughtAt);
        assertThat(caughtAt).as("%s caught as %s within %d seeds", bug, expected, SEEDS_MAX).isPositive();
    }
}
