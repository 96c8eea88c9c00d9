package io.backplane.systest;

import static java.time.Duration.ofSeconds;
import static org.assertj.core.api.Assertions.assertThat;

import io.backplane.systest.Checker.Property;
import io.backplane.systest.Checker.Violation;
import org.junit.jupiter.api.Test;

/**
 * The whole pipeline — real processes, recording, final reads, checker — must be able to fail: every
 * node is killed and every data directory wiped (the disks "lost" the acknowledged posts, which no
 * correct cluster survives), and the run must report acknowledged posts missing. CheckerTest covers
 * each property with hand-made traces; this shows a real run reaches those checks.
 */
class CheckerCatchesPlantedFaultsIT {
    @Test
    void aClusterWhoseDisksLostEverythingIsCaughtLosingAcknowledgedPosts() throws Exception {
        Settings settings = Settings.fromSystemProperties("planted-data-loss");
        SystemTestRun.Result result = SystemTestRun.run(settings, faults -> {
            faults.killAll();
            for (NodeProcess node : faults.cluster().nodes()) {
                faults.plantDataLoss(node);
            }
            faults.restartAll();
            faults.load(ofSeconds(2));
        });
        System.out.println(result.report());
        assertThat(result.violations()).extracting(Violation::property)
                .as(result.report())
                .contains(Property.ACKED_POST_IN_EVERY_REPLICA);
        assertThat(result.violations()).filteredOn(v -> v.property() == Property.ACKED_POST_IN_EVERY_REPLICA)
                .first().asString().contains("/SYSTEST/T", "n1");
    }
}
