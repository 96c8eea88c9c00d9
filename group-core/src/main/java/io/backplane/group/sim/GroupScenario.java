package io.backplane.group.sim;

import io.backplane.group.groups.GroupLayerConfig;
import io.backplane.group.groups.GroupPlantedBug;

import java.util.Set;
import java.util.SplittableRandom;

/**
 * The knobs of one group-layer run, all derived from the seed: the LAN faults of {@link SimScenario}
 * plus the group workload.
 *
 * @param lan               LAN faults, engine timings and message rate
 * @param groups            group ids 1..groups are used
 * @param churnPercent      per tick chance some process joins or leaves a group
 * @param sendsPerTickMax   group multicasts attempted per tick (each with the LAN's multicast chance)
 * @param clientPercent     share of multicasts sent to a group the sender is not in (client sends)
 * @param initialJoins      groups each process asks to join as soon as it starts
 * @param layer             group layer bounds and planted bugs
 */
public record GroupScenario(SimScenario lan, int groups, int churnPercent, int sendsPerTickMax, int clientPercent,
                            int initialJoins, GroupLayerConfig layer) {

    public static GroupScenario fromSeed(long seed) {
        return fromSeed(seed, SimScenario.Profile.STANDARD);
    }

    /** As {@link #fromSeed(long)}, with the LAN faults of the given profile (STRESS: many more faults). */
    public static GroupScenario fromSeed(long seed, SimScenario.Profile profile) {
        SimScenario lan = SimScenario.fromSeed(seed, profile);
        SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + 3);
        int groups = 1 + r.nextInt(r.nextBoolean() ? 6 : 40);
        return new GroupScenario(lan, groups, 10 + r.nextInt(40), 1 + r.nextInt(3), r.nextInt(30),
                r.nextInt(groups + 1), GroupLayerConfig.defaults());
    }

    /** Thousands of groups, each process in hundreds, with constant churn (the scale test in simulation). */
    public static GroupScenario manyGroups(long seed, int groups) {
        SimScenario lan = SimScenario.fromSeed(seed);
        return new GroupScenario(lan, groups, 100, 2, 10, groups / 4, GroupLayerConfig.defaults());
    }

    public GroupScenario withBugs(Set<GroupPlantedBug> bugs) {
        return new GroupScenario(lan, groups, churnPercent, sendsPerTickMax, clientPercent, initialJoins,
                layer.withPlantedBugs(bugs));
    }

    public String describe() {
        return lan.describe() + " groups=" + groups + " churn=" + churnPercent + "% sends/tick<=" + sendsPerTickMax
                + " client=" + clientPercent + "% initialJoins=" + initialJoins + (layer.plantedBugs().isEmpty() ? "" : " groupBugs=" + layer.plantedBugs());
    }
}
