package io.backplane.group.sim;

import io.backplane.group.groups.GroupEffect;
import io.backplane.group.protocol.MessageId;
import io.backplane.group.protocol.ProcessId;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The simulated application's state of the groups joined with state transfer, at one process incarnation:
 * for each group, the set of the group's messages it holds, each with the per-group sequence number it had
 * here (a log, so it can write its state as of any earlier point, as the history store will). Members deliver
 * concurrent CBCASTs in different orders, so the state is the set, not the order: it is written sorted by
 * message id, 16 bytes a message (sender node, sender incarnation, sender seq), so every holder writes the
 * same bytes for one cut (a transfer continues with another donor from the last chunk).
 */
final class SimStateApp {
    static final int ENTRY_BYTES = 16;

    private record Entry(long seq, MessageId id) {
    }

    private static final class GroupState {
        final List<Entry> entries = new ArrayList<>();
        boolean established;
        long lastViewId;
    }

    private record Incoming(long groupId, long joinViewId) {
    }

    private final Map<Long, GroupState> states = new HashMap<>();
    private final Map<Incoming, ByteArrayOutputStream> incoming = new HashMap<>();

    /** A view of a group: returns the "at" record to trace if this process holds the state there, else null. */
    GroupTraceEvent.XferInfo onView(long groupId, long viewId, long deliveredBefore, boolean member) {
        if (!member) {
            states.remove(groupId);
            // Chunks of a later membership's transfer can arrive before this (held) view: keep those.
            incoming.keySet().removeIf(k -> k.groupId() == groupId && k.joinViewId() < viewId);
            return null;
        }
        GroupState s = states.computeIfAbsent(groupId, k -> new GroupState());
        s.lastViewId = viewId;
        if (!s.established) {
            return null;
        }
        return info("at", viewId, deliveredBefore, s.entries, false);
    }

    /** A message or call of the group delivered to this member. */
    void onDeliver(long groupId, long seq, MessageId id) {
        GroupState s = states.get(groupId);
        if (s != null && s.established) {
            s.entries.add(new Entry(seq, id));
        }
    }

    /** Returns an error, or null. */
    String onChunk(GroupEffect.ApplyStateChunk c) {
        ByteArrayOutputStream b = incoming.computeIfAbsent(new Incoming(c.groupId(), c.joinViewId()),
                k -> new ByteArrayOutputStream());
        if (b.size() != c.offset()) {
            return "chunk at offset " + c.offset() + " of g" + c.groupId() + " after " + b.size() + " bytes";
        }
        b.writeBytes(c.bytes());
        return null;
    }

    /** The end of a transfer: the record to trace; an error is reported in the record's "what". */
    GroupTraceEvent.XferInfo onTransferred(GroupEffect.StateTransferred t) {
        ByteArrayOutputStream b = incoming.remove(new Incoming(t.groupId(), t.joinViewId()));
        GroupState s = states.get(t.groupId());
        switch (t.outcome()) {
            case COMPLETE -> {
                byte[] bytes = b == null ? new byte[0] : b.toByteArray();
                List<Entry> entries = new ArrayList<>();
                String error = null;
                if (bytes.length % ENTRY_BYTES != 0) {
                    error = "state of " + bytes.length + " bytes";
                } else {
                    ByteBuffer in = ByteBuffer.wrap(bytes);
                    while (in.hasRemaining()) {
                        // Every message of the state came before the cut: numbered at the cut, so a later
                        // cut (never earlier than this one) includes them when this process is the donor.
                        entries.add(new Entry(t.cutSeq(), new MessageId(new ProcessId(in.getInt(), in.getInt()), in.getLong())));
                    }
                    if (entries.size() > t.cutSeq()) {
                        error = "state as of message " + t.cutSeq() + " holds " + entries.size() + " messages";
                    }
                }
                if (s == null) {
                    return info("error: state for a group it is not in", t.joinViewId(), t.cutSeq(), entries, true);
                }
                s.entries.clear();
                s.entries.addAll(entries);
                s.established = true;
                return info(error == null ? "got" : "error: " + error, t.joinViewId(), t.cutSeq(), entries, true);
            }
            case LOST -> {
                if (s != null) {
                    s.entries.clear();
                    s.established = true;
                }
                return info("lost", s == null ? 0 : s.lastViewId, t.cutSeq(), List.of(), false);
            }
            default -> {
                if (s != null) {
                    s.entries.clear();
                    s.established = false;
                }
                return info("abandoned", t.joinViewId(), t.cutSeq(), List.of(), false);
            }
        }
    }

    /** The donor's bytes for a chunk request, or null if it holds no state of the group (an error). */
    byte[] write(GroupEffect.WriteState w) {
        GroupState s = states.get(w.groupId());
        if (s == null || !s.established) {
            return null;
        }
        List<MessageId> ids = new ArrayList<>(s.entries.size());
        for (Entry e : s.entries) {
            if (e.seq() <= w.cutSeq()) {
                ids.add(e.id());
            }
        }
        ids.sort(null);
        ByteBuffer all = ByteBuffer.allocate(ids.size() * ENTRY_BYTES);
        for (MessageId id : ids) {
            all.putInt(id.sender().node()).putInt(id.sender().incarnation()).putLong(id.seq());
        }
        int end = all.position();
        int from = (int) Math.min(w.offset(), end);
        int to = (int) Math.min((long) from + w.maxBytes(), end);
        byte[] out = new byte[to - from];
        System.arraycopy(all.array(), from, out, 0, out.length);
        return out;
    }

    /** Groups this process is a member of (with state transfer) whose state it does not hold. */
    List<Long> notHolding() {
        List<Long> out = new ArrayList<>();
        states.forEach((g, s) -> {
            if (!s.established) {
                out.add(g);
            }
        });
        return out;
    }

    private static GroupTraceEvent.XferInfo info(String what, long viewId, long cut, List<Entry> entries, boolean ids) {
        long hash = 0;
        List<MessageId> list = new ArrayList<>(ids ? entries.size() : 0);
        for (Entry e : entries) {
            hash += mix(e.id().hashCode()); // a sum: the same for the same set in any order
            if (ids) {
                list.add(e.id());
            }
        }
        return new GroupTraceEvent.XferInfo(what, viewId, cut, entries.size(), hash, list);
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
        z = (z ^ (z >>> 33)) * 0xc4ceb9fe1a85ec53L;
        return z ^ (z >>> 33);
    }
}
