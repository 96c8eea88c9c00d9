package io.backplane.group.protocol;

import java.util.List;

/**
 * A membership view: an id that only grows, and the members in age order (oldest first). The oldest
 * member is the coordinator, which also sequences ABCASTs for the view.
 */
public record View(long id, List<ProcessId> members) {
    public View {
        members = List.copyOf(members);
        Invariants.check(id >= 1, "view id must be >= 1", id);
        Invariants.check(!members.isEmpty(), "a view has at least one member", id);
        Invariants.check(members.stream().distinct().count() == members.size(), "duplicate member", members);
    }

    public ProcessId coordinator() {
        return members.get(0);
    }

    public int size() {
        return members.size();
    }

    /** Rank of {@code p} in age order, or -1 if not a member. */
    public int rankOf(ProcessId p) {
        return members.indexOf(p);
    }

    public boolean contains(ProcessId p) {
        return members.contains(p);
    }

    /** True when {@code count} members are a strict majority of this view. */
    public boolean isMajority(int count) {
        return 2 * count > members.size();
    }

    @Override
    public String toString() {
        return "v" + id + members;
    }
}
