package io.backplane.wan;

/**
 * The serving side of remote subscriptions, as an accepting link sees it: a peer LAN asked for a
 * pattern's messages ({@link WanFrame.MirrorSubscribe}); the source streams them into the connection.
 */
public interface MirrorSource {

    /** Where a stream writes; any thread. */
    interface Out {
        /** Queues a frame on the connection; false when the connection holds too much already (the stream then ends). */
        boolean send(WanFrame frame);

        /** True while the connection has room for more replay. */
        boolean writable();

        /** Runs {@code task} once the connection drains below its low-water mark (each time it does). */
        void onWritable(Runnable task);

        /** Closes the connection: the stream fell too far behind (the peer reconnects and resumes). */
        void fail(String reason);
    }

    /**
     * Starts streaming {@code request} for {@code originLan}. Returns what stops it (called when the
     * connection closes).
     *
     * @throws WanProtocolException when the request is not one a peer may make (the link then closes)
     */
    AutoCloseable open(String originLan, WanFrame.MirrorSubscribe request, Out out);
}
