package io.backplane.group.sim;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The CI sweep: a thousand seeds, safety phase then liveness phase, every property of DESIGN.md §2
 * checked on each. Longer sweeps run with {@code group-core/bin/simulate}.
 */
class SeedSweepTest {
    private static final long FIRST_SEED = 1;
    private static final int SEEDS = Integer.getInteger("backplane.sweep.seeds", 1000);
    private static final int STRESS_SEEDS = Integer.getInteger("backplane.sweep.stressSeeds", 100);
    private static final int ADVERSARIAL_SEEDS = Integer.getInteger("backplane.sweep.adversarialSeeds", 100);
    private static final int PROMPT_STABILITY_SEEDS = Integer.getInteger("backplane.sweep.promptStabilitySeeds", 200);

    @Test
    void everyPropertyHoldsOnAThousandSeeds() {
        List<String> failures = new ArrayList<>();
        SweepStats stats = new SweepStats();
        for (long seed = FIRST_SEED; seed < FIRST_SEED + SEEDS; seed++) {
            SimResult r = Simulation.run(seed, Simulation.Mode.BOTH);
            stats.add(r);
            if (!r.passed()) {
                failures.add("seed " + seed + ": " + r.violations() + " (" + r.scenario().describe() + ")");
            }
        }
        assertThat(failures).isEmpty();
        System.out.println("standard sweep exercised: " + stats);
        assertExercisedFaults(stats, SEEDS);
    }

    /**
     * Floors on what a sweep must have exercised, about a quarter of what the standard profile yields
     * (1,000 seeds: 614 crashes, 211 of coordinators mid-flush, 21,976 installs, 635 partitions, 989
     * exclusions and leaves, 1,537 minority episodes, 515,466 deliveries; the figures are printed): a sweep that passes only because its runs grew calm fails here.
     */
    private static void assertExercisedFaults(SweepStats stats, int seeds) {
        assertThat(stats.crashes()).as("crashes").isGreaterThanOrEqualTo(seeds / 5);
        assertThat(stats.coordinatorCrashesInFlush()).as("coordinator crashes mid-flush").isGreaterThanOrEqualTo(seeds / 20);
        assertThat(stats.viewInstalls()).as("view installs").isGreaterThanOrEqualTo(seeds * 5L);
        assertThat(stats.partitions()).as("partitions").isGreaterThanOrEqualTo(seeds / 5);
        assertThat(stats.exclusions() + stats.leaves()).as("exclusions and leaves").isGreaterThanOrEqualTo(seeds / 5);
        assertThat(stats.minorityEpisodes()).as("minority episodes").isGreaterThanOrEqualTo(seeds / 2);
        assertThat(stats.deliveries()).as("deliveries").isGreaterThanOrEqualTo(seeds * 100L);
        assertThat(stats.stableReports()).as("stable reports").isGreaterThanOrEqualTo(seeds * 20L);
    }

    /** The engine configuration a node persisting stable messages runs: stability reported every tick it delivers. */
    @Test
    void everyPropertyHoldsWithPromptStabilityReports() {
        List<String> failures = new ArrayList<>();
        SweepStats stats = new SweepStats();
        for (long seed = FIRST_SEED; seed < FIRST_SEED + PROMPT_STABILITY_SEEDS; seed++) {
            SimResult r = Simulation.run(SimScenario.fromSeed(seed).withPromptStability(true), Simulation.Mode.BOTH);
            stats.add(r);
            if (!r.passed()) {
                failures.add("seed " + seed + " with prompt stability: " + r.violations() + " (" + r.scenario().describe() + ")");
            }
        }
        assertThat(failures).isEmpty();
        System.out.println("prompt-stability sweep exercised: " + stats);
        assertExercisedFaults(stats, PROMPT_STABILITY_SEEDS);
    }

    @Test
    void everyPropertyHoldsOnStressSeedsWithManyCrashesAndPartitions() {
        List<String> failures = new ArrayList<>();
        SweepStats stats = new SweepStats();
        for (long seed = 1; seed <= STRESS_SEEDS; seed++) {
            SimResult r = Simulation.run(SimScenario.fromSeed(seed, SimScenario.Profile.STRESS), Simulation.Mode.BOTH);
            stats.add(r);
            if (!r.passed()) {
                failures.add("stress seed " + seed + ": " + r.violations() + " (" + r.scenario().describe() + ")");
            }
        }
        assertThat(failures).isEmpty();
        System.out.println("stress sweep exercised: " + stats);
        assertExercisedFaults(stats, STRESS_SEEDS);
    }

    /** Very late duplicates, directed links down for the whole fault phase, several leaves at once. */
    @Test
    void everyPropertyHoldsOnAdversarialSeedsWithLateDuplicatesStuckLinksAndLeaveBursts() {
        List<String> failures = new ArrayList<>();
        SweepStats stats = new SweepStats();
        for (long seed = 1; seed <= ADVERSARIAL_SEEDS; seed++) {
            SimResult r = Simulation.run(SimScenario.fromSeed(seed, SimScenario.Profile.ADVERSARIAL), Simulation.Mode.BOTH);
            stats.add(r);
            if (!r.passed()) {
                failures.add("adversarial seed " + seed + ": " + r.violations() + " (" + r.scenario().describe() + ")");
            }
        }
        assertThat(failures).isEmpty();
        System.out.println("adversarial sweep exercised: " + stats);
        assertThat(stats.exclusions() + stats.leaves()).as("exclusions and leaves").isGreaterThanOrEqualTo(ADVERSARIAL_SEEDS);
        assertThat(stats.viewInstalls()).as("view installs").isGreaterThanOrEqualTo(ADVERSARIAL_SEEDS * 10L);
    }
}
