package io.backplane.group.protocol;

/** Ordering guarantee requested for one multicast. */
public enum Kind {
    /** Causal order: delivered as soon as its causal predecessors are. */
    CBCAST,
    /** Causal total order: one order at every member, consistent with causality. */
    ABCAST;
}
