/**
 * The only place in group-core that owns threads, clocks and sockets: a TCP transport (NIO,
 * length-prefixed frames, reconnect, bounded send buffers) and a node driver that feeds one
 * {@link io.backplane.group.protocol.Engine} with packets and wall-clock ticks on a single thread.
 */
package io.backplane.group.runtime;
