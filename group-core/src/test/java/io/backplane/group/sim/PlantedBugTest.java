package io.backplane.group.sim;

import io.backplane.group.protocol.PlantedBug;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The checker can fail: each deliberate bug is caught, by the property it breaks, within a bounded
 * number of seeds.
 */
class PlantedBugTest {
    private static final int SEEDS_MAX = 40;

    @ParameterizedTest(name = "{0} is caught as {1}")
    @CsvSource({
            "SKIP_FLUSH_DELIVERY, VIEW_SYNCHRONY",
            "ABCAST_IGNORES_ORDER, TOTAL_ORDER",
            "DROP_RETRANSMISSION, LIVENESS",
            "DELIVER_IN_WRONG_VIEW, SENDING_VIEW_DELIVERY",
            "DUPLICATE_DELIVERY, NO_DUPLICATION",
            "CBCAST_IGNORES_CAUSALITY, CAUSAL_ORDER",
            "STABLE_FROM_OWN_DELIVERY, STABILITY"
    })
    void thePlantedBugIsCaughtWithinABoundedNumberOfSeeds(PlantedBug bug, Property expected) {
        long caughtAt = -1;
        for (long seed = 1; seed <= SEEDS_MAX && caughtAt < 0; seed++) {
            SimResult r = Simulation.run(SimScenario.fromSeed(seed).withBugs(Set.of(bug)), Simulation.Mode.BOTH);
            if (r.broke(expected)) {
                caughtAt = seed;
            }
        }
        assertThat(caughtAt).as("%s caught as %s within %d seeds", bug, expected, SEEDS_MAX).isPositive();
    }
}
