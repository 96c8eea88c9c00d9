package io.backplane.group.sim;

import java.util.List;
import java.util.Locale;

/**
 * Command line of the simulator (CONTRACT.md §9):
 * {@code simulate --first-seed S --seeds N [--mode safety|liveness|both] [--profile standard|stress|adversarial]
 * [--trace] [--plant BUG] [--prompt-stability]}. Prints every failing
 * seed with the property it broke and a one-line reproduction, ends with {@code N passed, M failed}, and
 * exits 0 only when nothing failed.
 */
public final class Simulate {
    private static final int TRACE_TAIL = 30;

    private Simulate() {
    }

    public static void main(String[] args) {
        long firstSeed = 1;
        long seeds = 1;
        Simulation.Mode mode = Simulation.Mode.BOTH;
        boolean printTrace = false;
        SimScenario.Profile profile = SimScenario.Profile.STANDARD;
        boolean promptStability = false;
        java.util.Set<io.backplane.group.protocol.PlantedBug> bugs = java.util.EnumSet.noneOf(
                io.backplane.group.protocol.PlantedBug.class);
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--first-seed" -> firstSeed = Long.parseLong(value(args, ++i, "--first-seed"));
                case "--seeds" -> seeds = Long.parseLong(value(args, ++i, "--seeds"));
                case "--mode" -> mode = Simulation.Mode.valueOf(value(args, ++i, "--mode").toUpperCase(Locale.ROOT));
                case "--trace" -> printTrace = true;
                case "--profile" -> profile = SimScenario.Profile.valueOf(value(args, ++i, "--profile").toUpperCase(Locale.ROOT));
                case "--plant" -> bugs.add(io.backplane.group.protocol.PlantedBug.valueOf(
                        value(args, ++i, "--plant").toUpperCase(Locale.ROOT)));
                case "--prompt-stability" -> promptStability = true;
                default -> usage("unknown argument " + args[i]);
            }
        }
        if (seeds < 0) {
            usage("--seeds must be >= 0");
        }
        long passed = 0;
        long failed = 0;
        SweepStats stats = new SweepStats();
        for (long seed = firstSeed; seed < firstSeed + seeds; seed++) {
            SimResult r;
            try {
                r = Simulation.run(SimScenario.fromSeed(seed, profile).withBugs(bugs)
                        .withPromptStability(promptStability), mode);
            } catch (RuntimeException e) {
                failed++;
                System.out.println("seed " + seed + " FAILED with " + e);
                e.printStackTrace(System.out);
                continue;
            }
            stats.add(r);
            if (printTrace) {
                r.trace().forEach(t -> System.out.println("  " + t));
            }
            if (r.passed()) {
                passed++;
            } else {
                failed++;
                System.out.println("seed " + seed + " FAILED " + r.scenario().describe());
                r.violations().forEach(v -> System.out.println("  " + v));
                if (!printTrace) {
                    List<TraceEvent> tail = r.trace().subList(Math.max(0, r.trace().size() - TRACE_TAIL), r.trace().size());
                    System.out.println("  last " + tail.size() + " events:");
                    tail.forEach(t -> System.out.println("    " + t));
                }
                StringBuilder plant = new StringBuilder();
                bugs.forEach(b -> plant.append(" --plant ").append(b));
                System.out.println("  reproduce: group-core/bin/simulate --first-seed " + seed + " --seeds 1 --mode "
                        + mode.name().toLowerCase(Locale.ROOT) + " --profile " + profile.name().toLowerCase(Locale.ROOT)
                        + plant + (promptStability ? " --prompt-stability" : "") + " --trace");
            }
        }
        System.out.println("exercised: " + stats);
        System.out.println(passed + " passed, " + failed + " failed");
        System.exit(failed == 0 ? 0 : 1);
    }

    private static String value(String[] args, int i, String name) {
        if (i >= args.length) {
            usage(name + " needs a value");
        }
        return args[i];
    }

    private static void usage(String problem) {
        System.err.println(problem);
        System.err.println("usage: simulate --first-seed S --seeds N [--mode safety|liveness|both] [--profile standard|stress|adversarial] [--trace]"
                + " [--plant BUG (test-only deliberate bug, to see the checker fail)]"
                + " [--prompt-stability (engines report stability at the tick after they deliver)]");
        System.exit(2);
    }
}
