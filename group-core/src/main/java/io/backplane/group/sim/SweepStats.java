package io.backplane.group.sim;

/**
 * What a sweep of seeds actually exercised, counted from the recorded traces. A sweep where every
 * property held proves little if its runs never crashed a coordinator or changed a view; these totals
 * say how much was tested, and the CI sweep asserts floors on them so the fault mix cannot quietly
 * shrink to nothing.
 */
public final class SweepStats {
    private long runs;
    private long ticks;
    private long packets;
    private long sends;
    private long deliveries;
    private long viewInstalls;
    private long crashes;
    private long coordinatorCrashesInFlush;
    private long exclusions;
    private long leaves;
    private long partitions;
    private long clogs;
    private long minorityEpisodes;
    private long stableReports;

    /** Adds one run's trace to the totals. */
    public void add(SimResult r) {
        runs++;
        ticks += r.ticks();
        packets += r.packets();
        for (TraceEvent e : r.trace()) {
            switch (e.type()) {
                case SEND -> sends++;
                case DELIVER -> deliveries++;
                case INSTALL -> viewInstalls++;
                case CRASH -> {
                    crashes++;
                    if (e.note().startsWith("crash while coordinating")) {
                        coordinatorCrashesInFlush++;
                    }
                }
                case EXCLUDED -> exclusions++;
                case STABLE -> stableReports++;
                case LEFT -> leaves++;
                case AVAILABILITY -> {
                    if (e.note().startsWith("false")) {
                        minorityEpisodes++;
                    }
                }
                case FAULT -> {
                    if (e.note().startsWith("partition ")) {
                        partitions++;
                    } else if (e.note().startsWith("clog ")) {
                        clogs++;
                    }
                }
                default -> {
                }
            }
        }
    }

    public long runs() {
        return runs;
    }

    public long deliveries() {
        return deliveries;
    }

    public long viewInstalls() {
        return viewInstalls;
    }

    public long crashes() {
        return crashes;
    }

    public long coordinatorCrashesInFlush() {
        return coordinatorCrashesInFlush;
    }

    public long exclusions() {
        return exclusions;
    }

    public long leaves() {
        return leaves;
    }

    public long partitions() {
        return partitions;
    }

    public long clogs() {
        return clogs;
    }

    public long minorityEpisodes() {
        return minorityEpisodes;
    }

    public long stableReports() {
        return stableReports;
    }

    @Override
    public String toString() {
        return runs + " runs, " + ticks + " ticks, " + packets + " packets, " + sends + " multicasts, " + deliveries
                + " deliveries, " + viewInstalls + " view installs, " + crashes + " crashes (" + coordinatorCrashesInFlush
                + " coordinators mid-flush), " + exclusions + " exclusions, " + leaves + " leaves, " + partitions
                + " partitions, " + clogs + " clogs, " + minorityEpisodes + " minority episodes, " + stableReports
                + " stable reports";
    }
}
