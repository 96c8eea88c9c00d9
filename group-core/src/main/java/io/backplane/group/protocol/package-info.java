/**
 * The virtual-synchrony protocol as pure, deterministic state machines: reliable FIFO channels,
 * heartbeat failure detection, membership with flush-based view changes under the primary-partition
 * rule, CBCAST and ABCAST, stability tracking and the wire format.
 *
 * <p>Nothing in this package owns a thread, reads a clock, draws unseeded randomness or opens a socket
 * ({@code ProtocolPurityTest} enforces it): {@link io.backplane.group.protocol.Engine} consumes packets,
 * ticks and requests and emits {@link io.backplane.group.protocol.Effect}s, so the simulator and the
 * runtime drive the same code.
 */
package io.backplane.group.protocol;
