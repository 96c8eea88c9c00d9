package io.backplane.node.topic;

/**
 * The answer to a post: the acknowledgement envelope (no payload) and whether it is the answer to
 * an earlier post with the same idempotency key ({@code duplicate}, HTTP 200) or a new one (201).
 */
public record PostResult(byte[] ackJson, boolean duplicate) {
}
