package io.backplane.systest;

import static java.time.Duration.ofSeconds;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 5's partitions, on by default ({@code -Dsystest.partitions=false} turns them off; they need root, {@code ip} and
 * {@code iptables}): each node in its own network namespace, links cut with iptables. The minority must
 * answer no post with 2xx while cut off (CONTRACT.md §6.6) and rejoin by itself once healed.
 */
class PartitionIT {
    @BeforeEach
    void onlyWhenAskedForAndPossible() {
        assumeTrue(Boolean.getBoolean("systest.partitions"),
                "partition schedules turned off with -Dsystest.partitions=false");
        assumeTrue(Integer.getInteger("systest.nodes", 3) >= 3, "partition schedules need at least 3 nodes (-Dsystest.nodes)");
        String missing = NamespaceNetwork.unavailableReason();
        assumeTrue(missing == null, () -> "partition schedules skipped: " + missing);
    }

    @Test
    void anIsolatedCoordinatorNeverAcknowledgesAndTheRestGoesOn() throws Exception {
        Settings settings = Settings.fromSystemProperties("partition-isolate-coordinator");
        try (NamespaceNetwork network = new NamespaceNetwork(settings.nodes()).create()) {
            SystemTestRun.run(settings, network, faults -> {
                int rounds = settings.longRun() ? settings.repetitions() : 2;
                for (int i = 0; i < rounds; i++) {
                    faults.partition(Set.of(faults.cluster().coordinator()), ofSeconds(8));
                    faults.awaitOneView();
                    faults.load(ofSeconds(2));
                }
            }).assertNoViolations();
        }
    }

    @Test
    void aTwoOneSplitLeavesTheMajorityServingAndTheMinorityRefusing() throws Exception {
        Settings settings = Settings.fromSystemProperties("partition-split-2-1");
        try (NamespaceNetwork network = new NamespaceNetwork(settings.nodes()).create()) {
            SystemTestRun.run(settings, network, faults -> {
                int rounds = settings.longRun() ? settings.repetitions() : 2;
                for (int i = 0; i < rounds; i++) {
                    NodeProcess coordinator = faults.cluster().coordinator();
                    NodeProcess other = faults.cluster().nodes().stream().filter(n -> n != coordinator).findFirst().orElseThrow();
                    // The coordinator stays with the majority here; the minority is an ordinary member.
                    faults.partition(Set.of(coordinator, other), ofSeconds(8));
                    faults.awaitOneView();
                    faults.load(ofSeconds(2));
                }
            }).assertNoViolations();
        }
    }
}
