/**
 * Lightweight process groups (DESIGN.md §2, layers 5–6): any number of named groups per process, each a
 * subset of the LAN view, multiplexed over one {@link io.backplane.group.protocol.Engine} (one causality
 * domain). {@link io.backplane.group.groups.GroupLayer} owns the replicated group directory, orders group
 * joins and leaves with group messages, and turns one LAN view change into new views for every affected
 * group at the same point. Like {@code protocol/}, it is a deterministic state machine: no thread, clock,
 * socket or randomness (ProtocolPurityTest scans it).
 */
package io.backplane.group.groups;
