package io.backplane.history;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The bounded hand-off from appending threads to the single writer. Bounded by count and by bytes;
 * when full an offer is refused at once (never blocks the caller). Closing and offering share one
 * lock, so once {@link #close} returns no append can slip in behind the writer's last drain.
 */
final class AppendQueue {
    enum Offer { ACCEPTED, FULL, CLOSED }

    private final int maxAppends;
    private final long maxBytes;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notEmpty = lock.newCondition();
    private final ArrayDeque<PendingWrite> items = new ArrayDeque<>();
    private long bytes;
    private String closedReason;

    AppendQueue(int maxAppends, long maxBytes) {
        this.maxAppends = maxAppends;
        this.maxBytes = maxBytes;
    }

    Offer offer(PendingWrite append) {
        lock.lock();
        try {
            if (closedReason != null) {
                return Offer.CLOSED;
            }
            // An empty queue takes any append, however large, or it could never be written.
            if (!items.isEmpty() && (items.size() >= maxAppends || bytes + append.queuedBytes() > maxBytes)) {
                return Offer.FULL;
            }
            items.addLast(append);
            bytes += append.queuedBytes();
            if (items.size() == 1) {
                notEmpty.signal();
            }
            return Offer.ACCEPTED;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits for at least one item, then moves up to {@code maxRecords} appends and about
     * {@code maxBatchBytes} bytes (at least one append) into {@code out}. A truncation or a skip is
     * never batched: it is drained alone, and a run of appends stops before it, so the writer applies
     * it exactly between the appends queued before and after it.
     *
     * @return false when the queue is closed and empty: the writer's signal to stop
     */
    boolean drainTo(List<PendingWrite> out, int maxRecords, long maxBatchBytes) throws InterruptedException {
        lock.lock();
        try {
            while (items.isEmpty()) {
                if (closedReason != null) {
                    return false;
                }
                notEmpty.await();
            }
            long drainedBytes = 0;
            while (!items.isEmpty() && out.size() < maxRecords) {
                PendingWrite next = items.peekFirst();
                boolean rewrite = !(next instanceof PendingAppend);
                if (!out.isEmpty() && (rewrite || drainedBytes + next.queuedBytes() > maxBatchBytes)) {
                    break;
                }
                items.removeFirst();
                drainedBytes += next.queuedBytes();
                out.add(next);
                if (rewrite) {
                    break;
                }
            }
            bytes -= drainedBytes;
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Refuses later offers with {@code reason}; what is queued stays for the writer to drain. */
    void close(String reason) {
        lock.lock();
        try {
            if (closedReason == null) {
                closedReason = reason;
            }
            notEmpty.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Closes with {@code reason} and hands back everything queued (the writer cannot go on). */
    List<PendingWrite> closeAndTakeAll(String reason) {
        lock.lock();
        try {
            close(reason);
            List<PendingWrite> taken = new ArrayList<>(items);
            items.clear();
            bytes = 0;
            return taken;
        } finally {
            lock.unlock();
        }
    }

    String closedReason() {
        lock.lock();
        try {
            return closedReason;
        } finally {
            lock.unlock();
        }
    }
}
