package io.backplane.node.topic;

/** A body that cannot be stored as its content type says (e.g. invalid JSON). */
public final class BadPayloadException extends RuntimeException {
    public BadPayloadException(String message) {
        super(message, null, false, false);
    }
}
