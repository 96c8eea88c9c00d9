package io.backplane.node.topic;

/** A topic name or pattern that breaks CONTRACT.md §1; the message is one human sentence. */
public final class InvalidTopicException extends RuntimeException {
    public InvalidTopicException(String message) {
        super(message, null, false, false);
    }
}
