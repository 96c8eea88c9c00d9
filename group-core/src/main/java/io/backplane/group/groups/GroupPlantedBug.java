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
    LAN_CHANGE_ONLY_OWN_GROUPS
}
