package io.backplane.group.groups;

/**
 * How many replies a group RPC ({@link GroupLayer#call}) waits for, counted over the members of the group
 * view in which the call is delivered (the possible repliers). A null reply counts as an answer.
 *
 * @param mode what is wanted
 * @param k    for {@link Mode#K} the number of replies, otherwise 0
 */
public record Want(Mode mode, int k) {
    public enum Mode { NONE, ONE, K, QUORUM, ALL }

    public static final Want NONE = new Want(Mode.NONE, 0);
    public static final Want ONE = new Want(Mode.ONE, 0);
    public static final Want QUORUM = new Want(Mode.QUORUM, 0);
    public static final Want ALL = new Want(Mode.ALL, 0);

    public Want {
        if ((mode == Mode.K) != (k > 0)) {
            throw new IllegalArgumentException("k must be > 0 exactly for Mode.K, was " + mode + " " + k);
        }
    }

    public static Want k(int k) {
        return new Want(Mode.K, k);
    }

    /** Replies wanted from a delivery view of {@code members} members (may exceed it: the call then fails). */
    public int count(int members) {
        return switch (mode) {
            case NONE -> 0;
            case ONE -> 1;
            case K -> k;
            case QUORUM -> members / 2 + 1;
            case ALL -> members;
        };
    }

    @Override
    public String toString() {
        return mode == Mode.K ? "K(" + k + ")" : mode.name();
    }
}
