package io.backplane.systest;

import static java.time.Duration.ofMillis;
import static java.time.Duration.ofSeconds;

import org.junit.jupiter.api.Test;

/**
 * Issue 5: SIGSTOP a node for less than the failure-detection timeout (0.3 s: it must stay in the view
 * and go on) and for more (5 s: the others exclude it, and once woken it must not acknowledge anything
 * until it is back in a newer view).
 */
class PauseNodeIT {
    @Test
    void aShortPauseIsRiddenOutAndANodePausedPastDetectionNeverAcknowledgesAfterItWasExcluded() throws Exception {
        Settings settings = Settings.fromSystemProperties("sigstop");
        SystemTestRun.run(settings, faults -> {
            int longPauses = settings.longRun() ? settings.repetitions() : 2;
            for (int i = 0; i < longPauses; i++) {
                faults.pause(faults.cluster().randomRunning(faults.random()), ofMillis(300));
                faults.load(ofSeconds(1));
                faults.pause(faults.cluster().randomRunning(faults.random()), ofSeconds(5));
                faults.awaitOneView();
                faults.load(ofSeconds(1));
            }
        }).assertNoViolations();
    }
}
