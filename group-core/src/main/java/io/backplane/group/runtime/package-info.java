/**
 * The only place in group-core that owns threads, clocks and sockets: a TCP transport (NIO,
 * length-prefixed frames, reconnect, bounded send buffers) and a node driver that feeds one
 * {@link io.backplane.group.protocol.Engine} with packets and wall-clock ticks on a single thread.
 * {@link io.backplane.group.runtime.ClusterMember} is a node that finds its peers from seed addresses:
 * slots from names, a dynamic address book exchanged in HELLO frames, and a founding rule
 * (ARCHITECTURE.md §7.2).
 */
package io.backplane.group.runtime;
