package io.backplane.client;

/**
 * Receives a subscription's messages, one at a time, on that subscription's own dispatcher thread,
 * in {@code seq} order per topic with no gap and no duplicate (also across reconnects).
 *
 * <p>A handler that blocks slows only its own subscription; see {@link BackplaneClient} for the
 * backpressure policy. An exception thrown by the handler is reported to
 * {@link ClientOptions#errorListener()} and the message counts as handed over.
 */
@FunctionalInterface
public interface MessageHandler {
    void onMessage(Message message);
}
