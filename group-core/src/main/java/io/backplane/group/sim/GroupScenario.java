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
 * @param tools             the RPC and toolkit workload
 */
public record GroupScenario(SimScenario lan, int groups, int churnPercent, int sendsPerTickMax, int clientPercent,
                            int initialJoins, GroupLayerConfig layer, Tools tools) {
    /**
     * Per-tick chances (per mille) of a group RPC, a coordinator-cohort request, a lock request and a
     * replicated-data update (map or configuration), and the number of locks per group.
     */
    public record Tools(int rpcPerMille, int ccPerMille, int lockPerMille, int dataPerMille, int locksPerGroup) {
        public static final Tools NONE = new Tools(0, 0, 0, 0, 1);

        static Tools fromSeed(long seed) {
            SplittableRandom r = new SplittableRandom(seed * 0x2545F4914F6CDD1DL + 11);
            return new Tools(50 + r.nextInt(300), 20 + r.nextInt(200), 30 + r.nextInt(300), 30 + r.nextInt(300),
                    1 + r.nextInt(3));
        }

        @Override
        public String toString() {
            return "rpc=" + rpcPerMille + "‰ cc=" + ccPerMille + "‰ lock=" + lockPerMille + "‰ data=" + dataPerMille
                    + "‰ locks/group=" + locksPerGroup;
        }
    }


    public static GroupScenario fromSeed(long seed) {
        return fromSeed(seed, SimScenario.Profile.STANDARD);
    }

    /** As {@link #fromSeed(long)}, with the LAN faults of the given profile (STRESS: many more faults). */
    public static GroupScenario fromSeed(long seed, SimScenario.Profile profile) {
        SimScenario lan = SimScenario.fromSeed(seed, profile);
        SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + 3);
        int groups = 1 + r.nextInt(r.nextBoolean() ? 6 : 40);
        return new GroupScenario(lan, groups, 10 + r.nextInt(40), 1 + r.nextInt(3), r.nextInt(30),
                r.nextInt(groups + 1), layerFor(seed), Tools.fromSeed(seed));
    }

    /** Thousands of groups, each process in hundreds, with constant churn (the scale test in simulation). */
    public static GroupScenario manyGroups(long seed, int groups) {
        SimScenario lan = SimScenario.fromSeed(seed);
        return new GroupScenario(lan, groups, 100, 2, 10, groups / 4, layerFor(seed), Tools.fromSeed(seed));
    }

    /**
     * State-transfer chunks of 8 to 71 bytes (a simulated state is 24 bytes a message), so most transfers take
     * several chunks and donors fail or leave between them; drawn apart from the other knobs.
     */
    private static GroupLayerConfig layerFor(long seed) {
        return GroupLayerConfig.defaults().withStateChunkBytesMax(8 + new SplittableRandom(seed ^ 0x5851F42D4C957F2DL).nextInt(64));
    }

    /** Odd-numbered groups are joined with state transfer, even-numbered ones without. */
    public static boolean withState(long groupId) {
        return groupId % 2 == 1;
    }

    public GroupScenario withBugs(Set<GroupPlantedBug> bugs) {
        return new GroupScenario(lan, groups, churnPercent, sendsPerTickMax, clientPercent, initialJoins,
                layer.withPlantedBugs(bugs), tools);
    }

    public GroupScenario withTools(Tools t) {
        return new GroupScenario(lan, groups, churnPercent, sendsPerTickMax, clientPercent, initialJoins, layer, t);
    }

    public String describe() {
        return lan.describe() + " groups=" + groups + " churn=" + churnPercent + "% sends/tick<=" + sendsPerTickMax
                + " client=" + clientPercent + "% initialJoins=" + initialJoins + " chunk=" + layer.stateChunkBytesMax() + "B " + tools + (layer.plantedBugs().isEmpty() ? "" : " groupBugs=" + layer.plantedBugs());
    }
}
