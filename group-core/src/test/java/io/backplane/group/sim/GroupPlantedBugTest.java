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
     */
    private static final int SEEDS_MAX = 300;

    @ParameterizedTest(name = "{0} is caught as {1}")
    @CsvSource({
            "SKIP_GROUP_FLUSH, GROUP_VIEW_SYNCHRONY",
            "GROUP_ABCAST_AS_CBCAST, GROUP_TOTAL_ORDER",
            "CROSS_GROUP_DEFERRED, CROSS_GROUP_CAUSAL",
            "LAN_CHANGE_ONLY_OWN_GROUPS, GROUP_VIEW_AGREEMENT",
            "RPC_DUPLICATE_REPLY_COUNTED, RPC_REPLIES",
            "RPC_NO_ERROR_ON_FAILURE, RPC_COMPLETION",
            "LOCK_GRANT_ON_REQUEST, LOCK_EXCLUSION",
            "LOCK_GRANT_NEWEST, LOCK_FIFO",
            "LOCK_NO_RELEASE_ON_FAILURE, LOCK_LIVENESS",
            "COHORT_TAKEOVER_UNCHECKED, COORDINATOR_COHORT",
            "MAP_UPDATE_AS_CBCAST, REPLICATED_DATA"
    })
    void thePlantedGroupBugIsCaughtWithinABoundedNumberOfSeeds(GroupPlantedBug bug, Property expected) {
        long caughtAt = -1;
        for (long seed = 1; seed <= SEEDS_MAX && caughtAt < 0; seed++) {
            GroupSimulation.Result r = GroupSimulation.run(GroupScenario.fromSeed(seed).withBugs(Set.of(bug)));
            if (r.broke(expected)) {
                caughtAt = seed;
            }
        }
        System.out.println(bug + " caught as " + expected + " at seed " + caughtAt);
        assertThat(caughtAt).as("%s caught as %s within %d seeds", bug, expected, SEEDS_MAX).isPositive();
    }
}
