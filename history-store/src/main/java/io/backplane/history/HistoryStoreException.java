package io.backplane.history;

/** An operating error of the store (disk full, I/O error, store closed, data directory in use). */
public class HistoryStoreException extends RuntimeException {
    public HistoryStoreException(String message) {
        super(message);
    }

    public HistoryStoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
