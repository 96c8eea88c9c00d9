package io.backplane.group.groups;

import io.backplane.group.protocol.EngineConfig;
import io.backplane.group.protocol.ProcessId;

import java.util.Set;

/**
 * Scale figures of the group layer (issue 4), in one JVM on the in-process stepping cluster (every packet
 * encoded and decoded, delivered on the next step). Not a test and never asserted: run with
 * {@code java -Xmx2g -cp target/classes:target/test-classes:$(cat target/simulate.classpath)
 * io.backplane.group.groups.GroupScaleBench 100000}.
 * <ul>
 * <li>heap per idle group per member: 3 processes, every group with all 3 as members, built through the
 *     protocol (joins and group flushes), measured after GC against the same cluster with no groups;</li>
 * <li>a LAN view change after a crash: steps (ticks) from the crash until both survivors have every group
 *     without the crashed member, and the CPU time of the survivors' work in those steps, for this many
 *     groups and for 10.</li>
 * </ul>
 */
public final class GroupScaleBench {
    private static final int MEMBERS = 3;
    private static final int TICKS_MAX = 100_000_000;

    public static void main(String[] args) {
        int groups = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        // the small case twice first, so the code the crash runs is compiled before either is measured
        crashAndMeasure(build(10), 10);
        crashAndMeasure(build(10), 10);
        long baseline = heapAfterGc(build(0));
        GroupTestCluster big = build(groups);
        long used = heapAfterGc(big);
        System.out.printf("groups=%d heap used %d bytes over baseline %d: %.0f bytes per group per member%n",
                groups, used - baseline, baseline, (used - baseline) / (double) groups / MEMBERS);
        crashAndMeasure(big, groups);
    }

    private static GroupTestCluster build(int groups) {
        EngineConfig engine = EngineConfig.defaults();
        GroupLayerConfig layer = new GroupLayerConfig(groups + 16, 1 << 20, 64, Set.of());
        GroupTestCluster c = new GroupTestCluster(MEMBERS, MEMBERS, engine, layer);
        c.recordEffects = false;
        long start = System.nanoTime();
        for (int n = 0; n < MEMBERS; n++) {
            for (long g = 1; g <= groups; g++) {
                long group = g;
                c.on(n, l -> l.join(group));
            }
        }
        c.stepUntil("all joined", TICKS_MAX, () -> c.quiescent() && (groups == 0 || c.layer(MEMBERS - 1).isMember(groups)
                && c.layer(0).groupView(groups).members().size() == MEMBERS));
        System.out.printf("built %d groups of %d members in %.1f s%n", groups, MEMBERS, (System.nanoTime() - start) / 1e9);
        return c;
    }

    private static void crashAndMeasure(GroupTestCluster c, int groups) {
        ProcessId crashed = c.layer(MEMBERS - 1).self();
        c.crash(MEMBERS - 1);
        long cpu = 0;
        long longestStep = 0;
        int ticks = 0;
        while (!(c.quiescent() && allUpdated(c, groups, crashed))) {
            long t0 = System.nanoTime();
            c.step();
            long spent = System.nanoTime() - t0;
            cpu += spent;
            longestStep = Math.max(longestStep, spent);
            ticks++;
        }
        System.out.printf("groups=%d: LAN view change after a crash took %d ticks; survivors' work in them %.1f ms,"
                + " longest step %.1f ms (group views changed at one survivor: %d)%n", groups, ticks, cpu / 1e6,
                longestStep / 1e6, c.layer(0).lanGroupUpdates());
    }

    private static boolean allUpdated(GroupTestCluster c, int groups, ProcessId crashed) {
        for (int n = 0; n < MEMBERS - 1; n++) {
            GroupView v = c.layer(n).groupView(groups);
            if (v == null || v.contains(crashed)) {
                return false;
            }
        }
        return true;
    }

    private static long heapAfterGc(Object keepAlive) {
        Runtime rt = Runtime.getRuntime();
        for (int i = 0; i < 5; i++) {
            System.gc();
        }
        long used = rt.totalMemory() - rt.freeMemory();
        if (keepAlive.hashCode() == 42) {
            System.out.print("");
        }
        return used;
    }
}
