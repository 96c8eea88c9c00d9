package io.backplane.client;

import java.time.Instant;

/**
 * The acknowledgement of a post: the message is sequenced and durable (CONTRACT.md §4). For a post to
 * another LAN's topic ({@code /T@LAN}) that was only spooled, {@link #spooled()} is true and
 * {@link #seq()} is 0, since the remote LAN assigns it.
 *
 * @param topic       the topic as the node names it (without {@code @LAN} for the node's own LAN)
 * @param lan         the LAN the topic lives on
 * @param seq         the message's seq in its topic (0 when spooled)
 * @param id          the message id, unique across LANs
 * @param timestamp   when the node sequenced it (null when spooled)
 * @param contentType the recorded content type (null when the node did not echo it)
 * @param spooled     true for a remote post that is durably in the WAN spool
 */
public record Posted(String topic, String lan, long seq, String id, Instant timestamp, String contentType,
                     boolean spooled) {
}
