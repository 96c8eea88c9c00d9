package io.backplane.group.protocol;

import java.util.List;

/**
 * Entries keyed by a 1-based index that grows in order and is dropped from the front once stable: one
 * sender's received messages by their index in the view ({@code vt[sender]}), or the ABCAST order by
 * ordinal. A ring of slots for indices {@code base+1 .. base+capacity}, grown when needed, so every
 * operation is O(1); it replaced {@code TreeMap<Long, ...>}s whose lookups, inserts and removals were the
 * largest single cost of delivery under load. Missing entries (a final set from a view change may leave
 * holes) are null slots.
 */
final class IndexedLog<T> {
    private static final int CAPACITY_MIN = 64;
    private Object[] slots = new Object[CAPACITY_MIN];
    /** Every index at or below {@code base} has been dropped. */
    private long base;
    /** Slot of index {@code base + 1}. */
    private int head;
    /** Highest index stored, or {@code base} when empty. */
    private long last;

    @SuppressWarnings("unchecked")
    T get(long index) {
        if (index <= base || index > last) {
            return null;
        }
        return (T) slots[slot(index)];
    }

    boolean contains(long index) {
        return get(index) != null;
    }

    long base() {
        return base;
    }

    void put(long index, T entry) {
        Invariants.check(index > base, "storing an entry below the dropped base", index, base);
        while (index - base > slots.length) {
            grow();
        }
        slots[slot(index)] = entry;
        last = Math.max(last, index);
    }

    /** Drops every entry with an index at or below {@code index}. */
    void dropUpTo(long index) {
        long upTo = Math.min(index, last);
        while (base < upTo) {
            slots[head] = null;
            head = (head + 1) & (slots.length - 1);
            base++;
        }
        if (index > base) {
            // nothing was stored that high: every slot is already null, so just move the window on
            base = index;
            last = base;
            head = 0;
        }
    }

    /** Removes every entry with an index above {@code index}. */
    void truncateAfter(long index) {
        while (last > index && last > base) {
            slots[slot(last)] = null;
            last--;
        }
    }

    /** Appends the stored entries in index order. */
    @SuppressWarnings("unchecked")
    void addAllTo(List<? super T> out) {
        for (long i = base + 1; i <= last; i++) {
            Object e = slots[slot(i)];
            if (e != null) {
                out.add((T) e);
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
        Object[] bigger = new Object[slots.length * 2];
        int span = span();
        for (int i = 0; i < span; i++) {
            bigger[i] = slots[(head + i) & (slots.length - 1)];
        }
        slots = bigger;
        head = 0;
    }
}
