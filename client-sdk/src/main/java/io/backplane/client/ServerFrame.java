package io.backplane.client;

/** A server → client websocket frame of CONTRACT.md §5 (plus the node's {@code unsubscribed}). */
sealed interface ServerFrame {
    record Subscribed(String id) implements ServerFrame { }

    record Unsubscribed(String id) implements ServerFrame { }

    record Delivery(String sub, Message message) implements ServerFrame { }

    /** The next message of {@code topic} on subscription {@code sub} has seq {@code lastSeq + 1}. */
    record ReplayComplete(String sub, String topic, long lastSeq) implements ServerFrame { }

    record PostedFrame(String id, Posted posted) implements ServerFrame { }

    /** {@code id} is null when the error answers no particular op (e.g. {@code slow-consumer}). */
    record Error(String id, String code, String message) implements ServerFrame { }

    /** A frame this SDK does not know; ignored (the contract may add frames). */
    record Unknown(String type) implements ServerFrame { }
}
