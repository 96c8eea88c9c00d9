package io.backplane.group.protocol;

/**
 * Deliberate bugs that tests switch on to show that the simulator's property checker catches real
 * mistakes (the FoundationDB "buggify" idea, but off unless asked). Only tests and the simulator's
 * {@code --plant} option set them; {@link EngineConfig#defaults()} has none, and the runtime never adds any.
 */
public enum PlantedBug {
    /** Install the new view without delivering the old view's final set. */
    SKIP_FLUSH_DELIVERY,
    /** Members other than the sequencer deliver an ABCAST as soon as it is causally ready. */
    ABCAST_IGNORES_ORDER,
    /** Reliable channels never retransmit. */
    DROP_RETRANSMISSION,
    /** A message of a newer view is delivered at once in the receiver's current view. */
    DELIVER_IN_WRONG_VIEW,
    /** The second message of every sender in a view is delivered twice. */
    DUPLICATE_DELIVERY,
    /** CBCAST ignores the vector timestamp beyond the sender's own FIFO position. */
    CBCAST_IGNORES_CAUSALITY,
    /** {@link Effect.Stable} reports the ABCASTs this process delivered, not the minimum over the members. */
    STABLE_FROM_OWN_DELIVERY;
}
