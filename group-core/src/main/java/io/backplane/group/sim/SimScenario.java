package io.backplane.group.sim;

import io.backplane.group.protocol.EngineConfig;
import io.backplane.group.protocol.PlantedBug;

import java.util.Set;
import java.util.SplittableRandom;

/**
 * Every knob of one simulated run, derived from the seed alone (and printed with it), so a seed names
 * one exact execution.
 *
 * @param seed               the seed everything derives from
 * @param nodes              process slots, 3..7
 * @param initialMembers     slots in the bootstrap view; the rest join later
 * @param lossPercent        chance a packet is dropped
 * @param duplicatePercent   chance a packet is delivered twice
 * @param delayTicksMax      ordinary one-way delay is 1..this
 * @param slowPercent        chance a packet takes a long path (up to {@code slowDelayTicksMax}): reordering
 * @param slowDelayTicksMax  long path delay
 * @param partitionPerMille  per tick chance a partition starts (symmetric or one-way)
 * @param clogPerMille       per tick chance one node's links clog (held, not dropped)
 * @param crashPerMille      per tick chance a process crashes (restarts later as a new incarnation)
 * @param leavePerMille      per tick chance a member leaves (its slot rejoins later)
 * @param flushCrashPercent  per tick chance a coordinator in the middle of a view change crashes
 * @param multicastPercent   per tick chance some member multicasts
 * @param abcastPercent      share of multicasts that are ABCAST
 * @param safetyTicks        length of the fault phase
 * @param livenessTicksMax   the healed phase must converge within this
 * @param lateDuplicatePercent chance a packet is also delivered again very late (60..460 ticks), long after
 *                           its channel or view may have ended (adversarial profile only)
 * @param stuckLinkPerMille  per tick chance one directed link fails until the fault phase ends: a node that
 *                           can send but not receive, a half-open connection (adversarial profile only)
 * @param leaveBurstPerMille per tick chance several members ask to leave at once (adversarial profile only)
 * @param engine             engine configuration (timeouts in ticks)
 */
public record SimScenario(long seed, int nodes, int initialMembers, int lossPercent, int duplicatePercent,
                          int delayTicksMax, int slowPercent, int slowDelayTicksMax, int partitionPerMille,
                          int clogPerMille, int crashPerMille, int leavePerMille, int flushCrashPercent, int multicastPercent,
                          int abcastPercent, int safetyTicks, int livenessTicksMax, int lateDuplicatePercent,
                          int stuckLinkPerMille, int leaveBurstPerMille, EngineConfig engine) {

    /** Engine timings for the simulator: one tick is one scheduling step. */
    public static EngineConfig simEngineConfig() {
        return new EngineConfig(3, 15, 60, 4, 5, 40, 10, 32, 64, 4096, 1024, 8192, 64, Set.of());
    }

    /** How hard the faults hit. Seeds keep their meaning within a profile. */
    public enum Profile {
        /** The CI profile: mixed calm and faulty runs. */
        STANDARD,
        /** Several times the crash, partition, clog and mid-flush crash rates, always 5–7 nodes. */
        STRESS,
        /**
         * Small groups (3–5 nodes) with the faults the other profiles lack: very late duplicates, directed
         * links that stay down for the whole fault phase, and several members leaving at once.
         */
        ADVERSARIAL
    }

    public static SimScenario fromSeed(long seed, Profile profile) {
        if (profile == Profile.STANDARD) {
            return fromSeed(seed);
        }
        if (profile == Profile.ADVERSARIAL) {
            SplittableRandom r = new SplittableRandom(seed * 131 + 17);
            int nodes = 3 + r.nextInt(3);
            return new SimScenario(seed, nodes, Math.max(2, nodes - r.nextInt(2)), r.nextInt(11), r.nextInt(6),
                    1 + r.nextInt(3), r.nextInt(6), 5 + r.nextInt(25), r.nextInt(4), r.nextInt(4), r.nextInt(5),
                    1 + r.nextInt(3), r.nextInt(4), 10 + r.nextInt(30), r.nextInt(101), 400 + r.nextInt(600), 3000,
                    1 + r.nextInt(5), 1 + r.nextInt(3), 2 + r.nextInt(4), simEngineConfig());
        }
        SplittableRandom r = new SplittableRandom(seed * 31 + 7);
        int nodes = 5 + r.nextInt(3);
        return new SimScenario(seed, nodes, nodes - r.nextInt(3), r.nextInt(16), r.nextInt(8), 1 + r.nextInt(3),
                r.nextInt(10), 5 + r.nextInt(40), 2 + r.nextInt(8), 1 + r.nextInt(6), 3 + r.nextInt(10),
                r.nextInt(5), 5 + r.nextInt(20), 20 + r.nextInt(30), r.nextInt(101), 600 + r.nextInt(600), 3000,
                0, 0, 0, simEngineConfig());
    }

    public static SimScenario fromSeed(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int nodes = 3 + r.nextInt(5);
        int initial = Math.max(2, nodes - r.nextInt(3));
        boolean calm = r.nextInt(10) == 0; // some runs without faults show the happy path still holds
        return new SimScenario(seed, nodes, initial,
                calm ? 0 : r.nextInt(11),
                calm ? 0 : r.nextInt(6),
                1 + r.nextInt(3),
                calm ? 0 : r.nextInt(6),
                5 + r.nextInt(25),
                calm ? 0 : r.nextInt(4),
                calm ? 0 : r.nextInt(4),
                calm ? 0 : r.nextInt(5),
                calm ? 0 : r.nextInt(3),
                calm ? 0 : r.nextInt(4),
                10 + r.nextInt(30),
                r.nextInt(101),
                300 + r.nextInt(400),
                2000,
                0, 0, 0,
                simEngineConfig());
    }

    public SimScenario withBugs(Set<PlantedBug> bugs) {
        return new SimScenario(seed, nodes, initialMembers, lossPercent, duplicatePercent, delayTicksMax, slowPercent,
                slowDelayTicksMax, partitionPerMille, clogPerMille, crashPerMille, leavePerMille, flushCrashPercent,
                multicastPercent, abcastPercent, safetyTicks, livenessTicksMax, lateDuplicatePercent, stuckLinkPerMille,
                leaveBurstPerMille, engine.withPlantedBugs(bugs));
    }

    /** The same run with the engines reporting stability at the tick after they deliver (EngineConfig). */
    public SimScenario withPromptStability(boolean prompt) {
        return new SimScenario(seed, nodes, initialMembers, lossPercent, duplicatePercent, delayTicksMax, slowPercent,
                slowDelayTicksMax, partitionPerMille, clogPerMille, crashPerMille, leavePerMille, flushCrashPercent,
                multicastPercent, abcastPercent, safetyTicks, livenessTicksMax, lateDuplicatePercent, stuckLinkPerMille,
                leaveBurstPerMille, engine.withPromptStability(prompt));
    }

    public String describe() {
        return "seed=" + seed + " nodes=" + nodes + " initial=" + initialMembers + " loss=" + lossPercent + "%"
                + " dup=" + duplicatePercent + "% delay=1.." + delayTicksMax + " slow=" + slowPercent + "%/"
                + slowDelayTicksMax + " partition=" + partitionPerMille + "‰ clog=" + clogPerMille + "‰ crash="
                + crashPerMille + "‰ leave=" + leavePerMille + "‰ flushCrash=" + flushCrashPercent + "% multicast=" + multicastPercent + "% abcast="
                + abcastPercent + "% safetyTicks=" + safetyTicks
                + (lateDuplicatePercent + stuckLinkPerMille + leaveBurstPerMille == 0 ? "" : " lateDup="
                        + lateDuplicatePercent + "% stuckLink=" + stuckLinkPerMille + "‰ leaveBurst=" + leaveBurstPerMille + "‰")
                + (engine.promptStability() ? " promptStability" : "")
                + (engine.plantedBugs().isEmpty() ? "" : " bugs=" + engine.plantedBugs());
    }
}
