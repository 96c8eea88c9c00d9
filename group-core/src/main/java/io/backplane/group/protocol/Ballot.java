package io.backplane.group.protocol;

/**
 * Orders competing attempts to end one view (Paxos-style): a higher ballot supersedes a lower one, and
 * the proposer breaks ties so two coordinators never share a ballot.
 */
public record Ballot(long round, ProcessId proposer) implements Comparable<Ballot> {
    public static final Ballot ZERO = new Ballot(0, new ProcessId(0, 0));

    @Override
    public int compareTo(Ballot o) {
        int c = Long.compare(round, o.round);
        return c != 0 ? c : proposer.compareTo(o.proposer);
    }

    public boolean greaterThan(Ballot o) {
        return compareTo(o) > 0;
    }

    @Override
    public String toString() {
        return "b" + round + ":" + proposer;
    }
}
