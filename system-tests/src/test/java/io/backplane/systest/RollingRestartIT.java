package io.backplane.systest;

import static java.time.Duration.ofSeconds;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Issue 10: a rolling restart of every node of a 3-node LAN under load, one node at a time as
 * deploy/rolling-restart.sh does it (drain, exit 0, start, wait until it serves again). The checker
 * holds the run to the contract: no acknowledged post lost, no subscriber gap or duplicate, one order
 * per topic. Besides, posts keep being acknowledged by the other nodes while each node is out; the
 * longest pause between acknowledgements is in the run's summary (docs/BENCHMARKS.md quotes it).
 */
class RollingRestartIT {
    @Test
    void everyNodeDrainedAndRestartedInTurnUnderLoadLosesNothingAndPostsGoOn() throws Exception {
        Settings settings = Settings.fromSystemProperties("rolling-restart");
        SystemTestRun.Result result = SystemTestRun.run(settings, faults -> {
            int rounds = settings.longRun() ? 3 : 1;
            for (int r = 0; r < rounds; r++) {
                for (NodeProcess node : faults.cluster().nodes()) {
                    faults.drainAndRestart(node);
                    faults.awaitOneView();
                    faults.load(ofSeconds(1));
                }
            }
        });
        result.assertNoViolations();

        List<Trace.Fault> restarts = result.trace().faults().stream().filter(f -> f.kind().equals("drain-restart")).toList();
        assertThat(restarts).hasSize(settings.nodes() * (settings.longRun() ? 3 : 1));
        if (settings.nodes() > 1) {
            for (Trace.Fault f : restarts) {
                long acknowledgedMeanwhile = result.trace().answers().stream()
                        .filter(a -> a.acknowledged() && !a.node().equals(f.node())
                                && a.answeredNanos() > f.startNanos() && a.answeredNanos() < f.endNanos())
                        .count();
                assertThat(acknowledgedMeanwhile).as("posts acknowledged by the other nodes while %s was drained and restarted; %s",
                        f.node(), result.report()).isPositive();
            }
        }
        System.out.printf("[rolling-restart] longest pause between acknowledgements: %d ms (summary %s)%n",
                result.longestAcknowledgementPauseNanos() / 1_000_000, result.summary());
    }
}
