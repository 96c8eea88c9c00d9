package io.backplane.systest;

import static java.time.Duration.ofSeconds;

import org.junit.jupiter.api.Test;

/** Issue 5 and CONTRACT.md §4: every node killed -9 and restarted from its data directory loses nothing acknowledged. */
class RestartAllNodesIT {
    @Test
    void noAcknowledgedPostIsLostWhenEveryNodeIsKilledAndRestarted() throws Exception {
        Settings settings = Settings.fromSystemProperties("restart-all");
        SystemTestRun.run(settings, faults -> {
            int rounds = settings.longRun() ? settings.repetitions() : 2;
            for (int i = 0; i < rounds; i++) {
                faults.killAll();
                faults.load(ofSeconds(1));
                faults.restartAll();
                faults.awaitOneView();
                faults.load(ofSeconds(2));
            }
        }).assertNoViolations();
    }
}
