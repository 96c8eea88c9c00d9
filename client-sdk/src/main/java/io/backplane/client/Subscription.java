package io.backplane.client;

import java.util.OptionalLong;

/**
 * A live subscription made by {@link BackplaneClient#subscribe}. It survives disconnects: the SDK
 * reconnects and resumes it from the last seq handed to the handler, per topic.
 */
public interface Subscription extends AutoCloseable {
    /** The topic or pattern subscribed to, as given. */
    String topicOrPattern();

    /**
     * The last seq of {@code topic} handed to the handler, or the seq after which this subscription
     * continues (for a live-only start, the topic's last seq when the subscription was registered);
     * empty while the subscription has no position in that topic yet.
     */
    OptionalLong lastSeq(String topic);

    /** Messages handed to the handler so far. */
    long deliveredCount();

    /** Times the subscription's websocket was re-established after a loss (slow-consumer included). */
    long reconnectCount();

    /**
     * Unsubscribes and releases the subscription's websocket and thread. When it returns (and it is not
     * called from the handler itself) the handler is not invoked again. Idempotent.
     */
    @Override
    void close();
}
