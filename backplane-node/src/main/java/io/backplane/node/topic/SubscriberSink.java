package io.backplane.node.topic;

/**
 * The outbound side of one client connection as the topic service sees it. All three methods are
 * called on the topic service's thread only, which is what keeps every connection's frames in one
 * order (the causal guarantee of CONTRACT.md §6.2 on one node rests on that).
 */
public interface SubscriberSink {

    /**
     * Queues a frame. Returns false when the connection's outbound buffer is full; the service then
     * drops the connection's subscriptions and calls {@link #slowConsumer()}.
     */
    boolean offer(OutboundFrame frame);

    /** True while the buffer is below its low-water mark, so replay may queue another chunk. */
    boolean hasReplayRoom();

    /** The subscriber fell behind: tell it {@code slow-consumer} and close the connection. */
    void slowConsumer();
}
