package io.backplane.node.topic;

import java.util.concurrent.CompletableFuture;

/**
 * The one narrow interface through which the front end posts and subscribes. On a single node
 * {@link LocalTopicService} sequences topics itself; the clustered implementation will sequence
 * through each topic's process group (ABCAST) behind the same interface.
 *
 * <p>Topics and patterns passed in are already validated and local to this LAN.
 */
public interface TopicService extends AutoCloseable {

    /**
     * Sequences and durably stores a post. Completes with the acknowledgement, or exceptionally with
     * {@link ServiceUnavailableException} or {@link TooManyRequestsException}.
     */
    CompletableFuture<PostResult> post(String topic, Payload payload, String idempotencyKey);

    /**
     * Registers a subscription in the topic's event order; answers with a {@code subscribed} or
     * {@code error} frame on the sink, then replay and live frames.
     */
    void subscribe(SubscriberSink sink, String subscriptionId, String topicOrPattern, Replay replay);

    /** Ends one subscription; answers {@code unsubscribed} or an {@code error} frame. */
    void unsubscribe(SubscriberSink sink, String subscriptionId);

    /** The connection is gone: drop all of its subscriptions. */
    void disconnect(SubscriberSink sink);

    /** The sink drained below its low-water mark: continue any paused replay. */
    void replayRoomAvailable(SubscriberSink sink);

    /**
     * The newest seq of {@code topic} that history reads may return: a clustered node shows only what
     * is committed. {@link Long#MAX_VALUE} when everything stored is visible. Any thread.
     */
    default long visibleThrough(String topic) {
        return Long.MAX_VALUE;
    }

    /** Null when the service takes posts, else the reason it does not (for 503 and /health). */
    String unavailableReason();

    @Override
    void close();
}
