package io.backplane.group.sim;

import io.backplane.group.groups.GroupPlantedBug;

import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Command line for the group-layer simulator: {@code simulate groups --first-seed S --seeds N
 * [--many-groups G] [--profile standard|stress] [--trace] [--plant BUG] [--no-tools]} ({@code --no-tools}: no RPC or
 * toolkit workload). Prints every failing seed with its violations and the
 * command that replays it; exits 1 if any seed failed.
 */
public final class GroupSimulate {
    private static final int TRACE_TAIL = 60;

    private GroupSimulate() {
    }

    public static void main(String[] args) {
        long firstSeed = 1;
        long seeds = 1;
        int manyGroups = 0;
        boolean printTrace = false;
        boolean noTools = false;
        SimScenario.Profile profile = SimScenario.Profile.STANDARD;
        Set<GroupPlantedBug> bugs = EnumSet.noneOf(GroupPlantedBug.class);
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--first-seed" -> firstSeed = Long.parseLong(value(args, ++i));
                case "--seeds" -> seeds = Long.parseLong(value(args, ++i));
                case "--many-groups" -> manyGroups = Integer.parseInt(value(args, ++i));
                case "--trace" -> printTrace = true;
                case "--no-tools" -> noTools = true;
                case "--profile" -> profile = SimScenario.Profile.valueOf(value(args, ++i).toUpperCase(Locale.ROOT));
                case "--plant" -> bugs.add(GroupPlantedBug.valueOf(value(args, ++i).toUpperCase(Locale.ROOT)));
                default -> usage("unknown argument " + args[i]);
            }
        }
        long failed = 0;
        GroupSimulation.Stats stats = GroupSimulation.Stats.zero();
        for (long seed = firstSeed; seed < firstSeed + seeds; seed++) {
            GroupScenario s = manyGroups > 0 ? GroupScenario.manyGroups(seed, manyGroups) : GroupScenario.fromSeed(seed, profile);
            if (noTools) {
                s = s.withTools(GroupScenario.Tools.NONE);
            }
            GroupSimulation.Result r = GroupSimulation.run(s.withBugs(bugs));
            stats = stats.plus(r.stats());
            if (printTrace) {
                r.trace().forEach(t -> System.out.println("  " + t));
            }
            if (!r.passed()) {
                failed++;
                System.out.println("seed " + seed + " FAILED " + r.scenario().describe());
                r.violations().forEach(v -> System.out.println("  " + v));
                if (!printTrace) {
                    List<GroupTraceEvent> tail = r.trace().subList(Math.max(0, r.trace().size() - TRACE_TAIL), r.trace().size());
                    tail.forEach(t -> System.out.println("    " + t));
                }
                StringBuilder plant = new StringBuilder();
                bugs.forEach(b -> plant.append(" --plant ").append(b));
                System.out.println("  reproduce: group-core/bin/simulate groups --first-seed " + seed + " --seeds 1"
                        + (manyGroups > 0 ? " --many-groups " + manyGroups : "")
                        + " --profile " + profile.name().toLowerCase(Locale.ROOT) + plant + (noTools ? " --no-tools" : "") + " --trace");
            }
        }
        System.out.println("exercised: " + stats);
        System.out.println((seeds - failed) + " passed, " + failed + " failed");
        System.exit(failed == 0 ? 0 : 1);
    }

    private static String value(String[] args, int i) {
        if (i >= args.length) {
            usage(args[i - 1] + " needs a value");
        }
        return args[i];
    }

    private static void usage(String problem) {
        System.err.println(problem);
        System.err.println("usage: simulate groups --first-seed S --seeds N [--many-groups G] [--profile standard|stress]"
                + " [--trace] [--plant BUG] [--no-tools]");
        System.exit(2);
    }
}
