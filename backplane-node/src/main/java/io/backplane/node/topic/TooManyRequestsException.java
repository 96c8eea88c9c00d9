package io.backplane.node.topic;

/** A bounded queue is full; the client should retry later (429 with Retry-After). */
public final class TooManyRequestsException extends RuntimeException {
    public TooManyRequestsException(String message) {
        super(message, null, false, false);
    }
}
