package io.backplane.group.groups;

import io.backplane.group.protocol.ProcessId;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.List;

/**
 * One lightweight group as every process of the LAN replicates it (the group directory). Kept small on
 * purpose: the scale target is 100,000 idle groups at under 2 KB each, so an idle group is four longs and
 * one member array that shares the {@link ProcessId}s of the LAN view; the queue of pending joins and
 * leaves exists only while one is in progress.
 */
final class Group {
    /** A join or leave delivered in the total order and not yet applied. */
    record Change(boolean join, ProcessId who, boolean withState) {
        Change(boolean join, ProcessId who) {
            this(join, who, false);
        }
    }

    private static final ProcessId[] NONE = new ProcessId[0];

    final long id;
    long viewId;
    /** Messages of the group delivered in all views so far; the same at every process at a view boundary. */
    long delivered;
    ProcessId[] members = NONE;
    /** Members (by rank) whose flush for the first pending change has been delivered. */
    long flushedMask;
    /** Null while idle. */
    ArrayDeque<Change> pending;
    /** Members that do not hold the group's state (joined without it, or still receiving it); null if none. */
    GroupFrame.Lacking[] lacking;

    Group(long id) {
        this.id = id;
    }

    int rankOf(ProcessId p) {
        for (int i = 0; i < members.length; i++) {
            if (members[i].equals(p)) {
                return i;
            }
        }
        return -1;
    }

    boolean isMember(ProcessId p) {
        return rankOf(p) >= 0;
    }

    boolean isFlushing() {
        return pending != null && !pending.isEmpty();
    }

    /** Whether {@code p} will be a member once every pending change is applied. */
    boolean willBeMember(ProcessId p) {
        boolean in = isMember(p);
        if (pending != null) {
            for (Change c : pending) {
                if (c.who().equals(p)) {
                    in = c.join();
                }
            }
        }
        return in;
    }

    void addPending(Change c) {
        if (pending == null) {
            pending = new ArrayDeque<>(2);
        }
        pending.addLast(c);
    }

    /** Applies one change to the member array (join appends: members stay in join order). */
    void apply(Change c) {
        if (c.join() && !isMember(c.who())) {
            members = Arrays.copyOf(members, members.length + 1);
            members[members.length - 1] = c.who();
        } else if (!c.join() && isMember(c.who())) {
            members = Arrays.stream(members).filter(m -> !m.equals(c.who())).toArray(ProcessId[]::new);
            setLacking(c.who(), -1);
        }
    }

    boolean holdsState(ProcessId p) {
        return isMember(p) && lackingSince(p) < 0;
    }

    /** The view {@code p}'s lacking membership began in, or -1 if it holds the state (or is no member). */
    long lackingSince(ProcessId p) {
        if (lacking != null) {
            for (GroupFrame.Lacking l : lacking) {
                if (l.who().equals(p)) {
                    return l.sinceViewId();
                }
            }
        }
        return -1;
    }

    /** Marks {@code p} lacking the state since {@code sinceViewId}, or (with -1) holding it. */
    void setLacking(ProcessId p, long sinceViewId) {
        if (lacking != null) {
            GroupFrame.Lacking[] rest = Arrays.stream(lacking).filter(l -> !l.who().equals(p))
                    .toArray(GroupFrame.Lacking[]::new);
            lacking = rest.length == 0 ? null : rest;
        }
        if (sinceViewId >= 0) {
            GroupFrame.Lacking[] out = lacking == null ? new GroupFrame.Lacking[1] : Arrays.copyOf(lacking, lacking.length + 1);
            out[out.length - 1] = new GroupFrame.Lacking(p, sinceViewId);
            lacking = out;
        }
    }

    /** Whether the group has members and none of them holds its state. */
    boolean stateLost() {
        return members.length > 0 && lacking != null && lacking.length == members.length;
    }

    List<GroupFrame.Lacking> lackingList() {
        return lacking == null ? List.of() : List.of(lacking);
    }

    boolean allFlushed() {
        return members.length > 0 && Long.bitCount(flushedMask) == members.length;
    }

    GroupView view() {
        return new GroupView(id, viewId, List.of(members), delivered);
    }
}
