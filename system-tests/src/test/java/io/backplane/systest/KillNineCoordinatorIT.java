package io.backplane.systest;

import static java.time.Duration.ofSeconds;

import org.junit.jupiter.api.Test;

/** Issue 5: kill -9 the coordinator named by GET /api/v1/cluster, five times in a row, under load. */
class KillNineCoordinatorIT {
    @Test
    void acknowledgedPostsSurviveKillNineOfTheCoordinatorFiveTimesInARow() throws Exception {
        Settings settings = Settings.fromSystemProperties("kill9-coordinator");
        SystemTestRun.run(settings, faults -> {
            for (int i = 0; i < settings.repetitions(); i++) {
                NodeProcess coordinator = faults.cluster().coordinator();
                faults.kill9(coordinator);
                faults.load(ofSeconds(2));
                faults.restart(coordinator);
                faults.awaitOneView();
                faults.load(ofSeconds(1));
            }
        }).assertNoViolations();
    }
}
