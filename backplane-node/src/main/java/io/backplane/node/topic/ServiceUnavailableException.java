package io.backplane.node.topic;

/** The node cannot take posts now (shutting down, storage failed, not in a primary view): 503. */
public final class ServiceUnavailableException extends RuntimeException {
    public ServiceUnavailableException(String message) {
        super(message, null, false, false);
    }
}
