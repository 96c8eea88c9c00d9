package io.backplane.systest;

import static java.time.Duration.ofSeconds;

import org.junit.jupiter.api.Test;

/** Issue 5: kill -9 a random node, five times in a row, under load; each time it restarts from its data. */
class KillNineRandomNodeIT {
    @Test
    void acknowledgedPostsSurviveKillNineOfARandomNodeFiveTimesInARow() throws Exception {
        Settings settings = Settings.fromSystemProperties("kill9-random-node");
        SystemTestRun.run(settings, faults -> {
            for (int i = 0; i < settings.repetitions(); i++) {
                NodeProcess victim = faults.cluster().randomRunning(faults.random());
                faults.kill9(victim);
                faults.load(ofSeconds(2));
                faults.restart(victim);
                faults.awaitOneView();
                faults.load(ofSeconds(1));
            }
        }).assertNoViolations();
    }
}
