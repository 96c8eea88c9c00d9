package io.backplane.group.protocol;

import java.util.List;

/**
 * The received, not yet stable messages of one sender in one view, by their index in the view
 * ({@code vt[sender]}, 1-based): a ring of slots for indices {@code base+1 .. base+capacity}, grown when
 * needed. Indices arrive in order from the FIFO channel, and stable ones leave from the front, so every
 * operation is O(1) — it replaced a {@code TreeMap<Long, Message>} whose lookups were the largest single
 * cost of delivery under load. A final set from a view change may leave holes, which are null slots.
 */
final class MessageLog {
    private static final int CAPACITY_MIN = 64;
    private Message[] slots = new Message[CAPACITY_MIN];
    /** Every index at or below {@code base} has been dropped. */
    private long base;
    /** Slot of index {@code base + 1}. */
    private int head;
    /** Highest index stored, or {@code base} when empty. */
    private long last;

    Message get(long index) {
        if (index <= base || index > last) {
            return null;
        }
        return slots[slot(index)];
    }

    boolean contains(long index) {
        return get(index) != null;
    }

    void put(long index, Message m) {
        Invariants.check(index > base, "storing a message below the stable base", index, base);
        while (index - base > slots.length) {
            grow();
        }
        slots[slot(index)] = m;
        last = Math.max(last, index);
    }

    /** Drops every message with an index at or below {@code index}. */
    void dropUpTo(long index) {
        long upTo = Math.min(index, last);
        while (base < upTo) {
            slots[head] = null;
            head = (head + 1) & (slots.length - 1);
            base++;
        }
        if (index > base) {
            // nothing was stored that low (held elsewhere or never received): move the window on
            base = index;
            last = Math.max(last, base);
            head = 0; // every slot is already null: all stored indices were at or below the old last
        }
    }

    /** Appends the stored messages in index order. */
    void addAllTo(List<Message> out) {
        for (long i = base + 1; i <= last; i++) {
            Message m = slots[slot(i)];
            if (m != null) {
                out.add(m);
            }
        }
    }

    int span() {
        return (int) (last - base);
    }

    private int slot(long index) {
        return (int) ((head + (index - base - 1)) & (slots.length - 1));
    }

    private void grow() {
        Message[] bigger = new Message[slots.length * 2];
        int span = span();
        for (int i = 0; i < span; i++) {
            bigger[i] = slots[(head + i) & (slots.length - 1)];
        }
        slots = bigger;
        head = 0;
    }
}
