package io.backplane.group.protocol;

/**
 * One incarnation of a process: the node slot (a stable address on the LAN) and an incarnation
 * number that grows on every restart or rejoin. Fail-stop is enforced through the incarnation: once
 * a view excludes {@code (node, incarnation)}, frames from it are ignored and the node must come back
 * as {@code (node, incarnation + 1)}.
 *
 * @param node        stable slot of the process on the LAN, {@code >= 0}
 * @param incarnation {@code >= 1}; {@link #ANY_INCARNATION} only as the destination of a join request
 */
public record ProcessId(int node, int incarnation) implements Comparable<ProcessId> {
    /** Destination incarnation of frames sent before the sender knows who lives at a node. */
    public static final int ANY_INCARNATION = 0;

    public ProcessId {
        Invariants.check(node >= 0, "node must be >= 0", node);
        Invariants.check(incarnation >= 0, "incarnation must be >= 0", incarnation);
    }

    @Override
    public int compareTo(ProcessId o) {
        int c = Integer.compare(node, o.node);
        return c != 0 ? c : Integer.compare(incarnation, o.incarnation);
    }

    @Override
    public String toString() {
        return "p" + node + "." + incarnation;
    }
}
