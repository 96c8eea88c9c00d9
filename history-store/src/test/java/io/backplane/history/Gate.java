package io.backplane.history;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A write listener that holds the writer thread inside the first batch until released, so a test can
 * queue appends behind it and know they form the next batch (or fill the queue). Records batch sizes.
 */
final class Gate implements WriteListener {
    final List<Integer> batchRecords = new CopyOnWriteArrayList<>();
    private final CountDownLatch firstBatchWritten = new CountDownLatch(1);
    private final CountDownLatch released = new CountDownLatch(1);

    @Override
    public void onBatchWritten(int records, long bytes, long writeNanos) {
        batchRecords.add(records);
        if (firstBatchWritten.getCount() == 1) {
            firstBatchWritten.countDown();
            await(released);
        }
    }

    /** Waits until the writer is held inside its first batch. */
    void awaitWriterHeld() {
        await(firstBatchWritten);
    }

    void release() {
        released.countDown();
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(Stores.TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                throw new AssertionError("gate not reached within " + Stores.TIMEOUT_SECONDS + " s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
