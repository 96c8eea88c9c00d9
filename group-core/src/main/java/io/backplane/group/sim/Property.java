package io.backplane.group.sim;

/** The properties of DESIGN.md §2 that the checker asserts on every trace. */
public enum Property {
    SELF_INCLUSION, MONOTONE_VIEWS, VIEW_AGREEMENT, PRIMARY_MAJORITY, INTEGRITY, NO_DUPLICATION,
    SENDING_VIEW_DELIVERY, VIEW_SYNCHRONY, RELIABILITY, SELF_DELIVERY, CAUSAL_ORDER, TOTAL_ORDER, LIVENESS,
    /**
     * A process reports ABCASTs 1..k of view v stable ({@code Effect.Stable}) only in its current view, with k
     * growing, once every member of v has delivered at least k ABCASTs in v; and the ABCAST at each ordinal
     * up to k is the same message at every process that delivers that ordinal, crashed or excluded later
     * included (what a host persisting stable messages relies on).
     */
    STABILITY,
    /** An engine stopped on a broken invariant of its own (Invariants.check). */
    ENGINE_INVARIANT,
    /** Lightweight groups: a group view has one membership and message count; group views only grow. */
    GROUP_VIEW_AGREEMENT,
    /** Members that install group views g then g' delivered the same messages of the group in g. */
    GROUP_VIEW_SYNCHRONY,
    /** A group message is delivered only by members, in the group view it was sent in. */
    GROUP_SENDING_VIEW,
    /** A group message is delivered at most once per process, and only if it was sent to that group. */
    GROUP_INTEGRITY,
    /** A group's ABCASTs are delivered in one order by all its members. */
    GROUP_TOTAL_ORDER,
    /** Happens-before (recomputed from the trace) is respected across all groups of the domain. */
    CROSS_GROUP_CAUSAL,
    /** After faults stop, directories converge and every group message of a live sender is delivered. */
    GROUP_LIVENESS,
    /** A group RPC completes at most once, and (liveness) every call of a live caller completes. */
    RPC_COMPLETION,
    /**
     * A completed call had at least the wanted number of distinct repliers, all members of its delivery
     * view that sent that reply; an error only when too few of those members remained.
     */
    RPC_REPLIES,
    /** No two processes of the primary partition hold one lock in overlapping intervals of the trace. */
    LOCK_EXCLUSION,
    /** Locks are granted in the total order of the requests. */
    LOCK_FIFO,
    /** After healing, every lock request of a live member is granted (a failed holder's lock moves on). */
    LOCK_LIVENESS,
    /** At most one reply of a coordinator-cohort request reaches the caller. */
    COORDINATOR_COHORT,
    /** Members holding a group's replicated state agree on it at every group view; config versions in order. */
    REPLICATED_DATA,
    /**
     * A joiner's state, received by state transfer, equals every holder's state at the join point; every
     * later message of the group is delivered to it exactly once, in order, none of them already in the state;
     * a state is declared lost only where no member holds it; (liveness) after healing no transfer is left
     * running and every member of a group with state holds it.
     */
    STATE_TRANSFER
}
