package io.backplane.history;

/**
 * The append queue is full ({@link HistoryStoreConfig#maxPendingAppends()} appends or
 * {@link HistoryStoreConfig#maxPendingBytes()} bytes are waiting for the disk). The append was not
 * taken; nothing was written. The caller should push back on its own producers (the node answers
 * 429/503) rather than retry in a tight loop.
 */
public class HistoryStoreOverloadedException extends HistoryStoreException {
    public HistoryStoreOverloadedException(String message) {
        super(message);
    }
}
