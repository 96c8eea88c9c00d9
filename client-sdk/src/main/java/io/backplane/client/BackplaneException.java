package io.backplane.client;

/**
 * An operating error reported by a node or by the SDK: {@link #code()} is the contract's error code
 * ({@code bad-topic}, {@code bad-request}, {@code payload-too-large}, {@code forbidden},
 * {@code unavailable}, {@code too-many-requests}, {@code slow-consumer}, {@code not-found}) or one of
 * the SDK's own: {@code timeout}, {@code closed}, {@code connection-failed}, {@code gap},
 * {@code handler-failed}.
 */
public class BackplaneException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String code;

    public BackplaneException(String code, String message) {
        super(code + ": " + message);
        this.code = code;
    }

    public BackplaneException(String code, String message, Throwable cause) {
        super(code + ": " + message, cause);
        this.code = code;
    }

    /** The error code, e.g. {@code bad-topic}. */
    public String code() {
        return code;
    }
}
