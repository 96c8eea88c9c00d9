package io.backplane.node;

/** The node cannot start (data directory unusable, port taken…); the message is the one stderr line. */
public final class StartupException extends RuntimeException {
    public StartupException(String message) {
        super(message, null, false, false);
    }
}
