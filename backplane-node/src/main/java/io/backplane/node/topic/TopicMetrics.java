package io.backplane.node.topic;

/** What the topic service reports; the node binds it to Micrometer. Called from the service thread. */
public interface TopicMetrics {
    void posted(String topic);

    void duplicatePost();

    /** One message handed to {@code subscriberCount} subscribers, {@code nanos} after its post arrived. */
    void delivered(int subscriberCount, long postToDeliveryNanos);

    void replayed(int messages);

    void slowConsumer();

    /** A mirrored message (remote subscription) the mirror already had. */
    default void mirrorDuplicate() {
    }

    /** A mirror moved over {@code count} seqs its remote LAN no longer holds. */
    default void mirrorSkipped(long count) {
    }

    TopicMetrics NONE = new TopicMetrics() {
        @Override
        public void posted(String topic) {
        }

        @Override
        public void duplicatePost() {
        }

        @Override
        public void delivered(int subscriberCount, long postToDeliveryNanos) {
        }

        @Override
        public void replayed(int messages) {
        }

        @Override
        public void slowConsumer() {
        }
    };
}
