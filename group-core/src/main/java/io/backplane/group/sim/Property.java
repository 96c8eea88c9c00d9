package io.backplane.group.sim;

/** The properties of DESIGN.md §2 that the checker asserts on every trace. */
public enum Property {
    SELF_INCLUSION, MONOTONE_VIEWS, VIEW_AGREEMENT, PRIMARY_MAJORITY, INTEGRITY, NO_DUPLICATION,
    SENDING_VIEW_DELIVERY, VIEW_SYNCHRONY, RELIABILITY, SELF_DELIVERY, CAUSAL_ORDER, TOTAL_ORDER, LIVENESS,
    /** An engine stopped on a broken invariant of its own (Invariants.check). */
    ENGINE_INVARIANT
}
