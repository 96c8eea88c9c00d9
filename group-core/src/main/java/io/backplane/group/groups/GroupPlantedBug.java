package io.backplane.group.groups;

/**
 * Deliberate bugs in the group layer that tests switch on to show the simulator's group checker catches
 * them (as {@link io.backplane.group.protocol.PlantedBug} does for the engine). Never set in production.
 */
public enum GroupPlantedBug {
    /** A group join or leave installs the new group view at once, without the members' group flush. */
    SKIP_GROUP_FLUSH,
    /** Members send group ABCASTs as LAN CBCASTs, so there is no total order. */
    GROUP_ABCAST_AS_CBCAST,
    /** Deliveries of CBCASTs to odd-numbered groups are held back until the next tick. */
    CROSS_GROUP_DEFERRED,
    /** A LAN view change updates only the groups this process belongs to (a tempting optimisation). */
    LAN_CHANGE_ONLY_OWN_GROUPS,
    /** A group RPC caller counts a second reply from the same member again. */
    RPC_DUPLICATE_REPLY_COUNTED,
    /** A group RPC caller never gives up when its possible repliers fail or leave (the call hangs). */
    RPC_NO_ERROR_ON_FAILURE,
    /** The lock tool grants a request when it is made, if the lock looks free, not in ABCAST order. */
    LOCK_GRANT_ON_REQUEST,
    /** The lock tool, on a release, grants the newest waiting request instead of the oldest. */
    LOCK_GRANT_NEWEST,
    /** The lock tool keeps departed members in its queues at a group view change. */
    LOCK_NO_RELEASE_ON_FAILURE,
    /** A cohort takes over when the coordinator leaves, without checking its reply was delivered. */
    COHORT_TAKEOVER_UNCHECKED,
    /** Replicated map updates are sent CBCAST instead of ABCAST. */
    MAP_UPDATE_AS_CBCAST,
    /** A state-transfer donor writes its current state instead of the state as of the joiner's join point. */
    DONOR_WRITES_CURRENT_STATE
}
