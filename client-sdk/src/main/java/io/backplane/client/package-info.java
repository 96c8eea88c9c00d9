/**
 * The JVM SDK of Backplane (CONTRACT.md §7): {@link io.backplane.client.BackplaneClient} posts and
 * subscribes over the JDK's {@code HttpClient}/{@code WebSocket} and Jackson only.
 *
 * <p>This package owns the client side of the websocket and REST protocol of CONTRACT.md §4–§5: the
 * op/frame codec ({@code FrameCodec}), the node list and reconnection backoff, one websocket per
 * subscription with its dispatcher thread ({@code SubscriptionEngine}, where resumption without gap
 * or duplicate lives), and the posting paths ({@code WsPoster}, {@code RestPoster}). Everything but
 * the public API types is package-private. See {@code client-sdk/README.md} for the guarantees and the
 * exact backpressure and resume policies.
 */
package io.backplane.client;
