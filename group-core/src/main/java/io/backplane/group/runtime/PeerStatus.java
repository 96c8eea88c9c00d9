package io.backplane.group.runtime;

/**
 * The last status heard from one peer incarnation, with when (local {@code System.nanoTime} values).
 *
 * @param sinceNanos     when this incarnation was first heard in its current status code
 * @param lastHeardNanos when it was last heard from at all
 */
public record PeerStatus(int slot, String name, int incarnation, MemberStatus status, long sinceNanos,
                         long lastHeardNanos) {
}
