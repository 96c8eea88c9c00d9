package io.backplane.group.protocol;

/**
 * What an {@link Engine} asks its host to do or tells it happened. The host (the simulator or the real
 * runtime) drains these after every event, in order.
 */
public sealed interface Effect {
    /** Put a packet on the wire. */
    record Transmit(Packet packet) implements Effect {
    }

    /** A multicast left this process, in view {@code viewId}, for the request {@code requestId}. */
    record Sent(long requestId, MessageId id, long viewId, Kind kind) implements Effect {
    }

    /** Hand a message to the application, in view {@code viewId}. */
    record Deliver(MessageId id, long viewId, Kind kind, byte[] payload) implements Effect {
    }

    /** A new view is installed; every delivery after this is in it. */
    record InstallView(View view) implements Effect {
    }

    /**
     * The process stopped (or resumed) being able to make progress: it is in a minority of its view, or a
     * view change cannot gather a majority. While unavailable, multicasts queue up (bounded).
     */
    record Availability(boolean available, String reason) implements Effect {
    }

    /** Point-to-point bytes from another member of the current view ({@link Engine#sendDirect}). */
    record Received(ProcessId from, byte[] payload) implements Effect {
    }

    /** A request was refused because its bounded queue is full (flow control). */
    record Rejected(long requestId, String reason) implements Effect {
    }

    /** Every multicast this process sent before {@code stabilize()} returned {@code token} is stable. */
    record Stabilized(long token) implements Effect {
    }

    /**
     * Every member of view {@code viewId} has delivered the first {@code abcastThrough} ABCASTs of that view:
     * the ABCASTs at ordinals 1..{@code abcastThrough}, where ordinal k is the k-th ABCAST delivered in the
     * view, the same message at every process that delivers k (including processes that crash or are
     * excluded later). A host may therefore persist those messages: every process of every later view
     * delivered them at the same place in the total order. Emitted, only in the current view and only while
     * this process is a member not frozen by a view change, whenever the value grows (after this process
     * delivers, or hears a member's stability report); never above what this process itself delivered.
     *
     * <p>Nothing is emitted for a view that has ended: an {@link InstallView} itself says that everything
     * this process delivered in the previous view is settled at every survivor (virtual synchrony: every
     * process that installs the new view delivered exactly the same messages, ABCASTs in the same order, in
     * the old one). ABCASTs the previous view delivered above its last {@code Stable} become persistable at
     * the install, not before: ABCAST delivery is not uniform, and a member that is about to be excluded
     * may deliver ABCASTs the survivors order differently. With {@link EngineConfig#promptStability()}
     * members report at the tick after they deliver, so this follows a delivery within about one tick.
     */
    record Stable(long viewId, long abcastThrough) implements Effect {
    }

    /** A newer view excludes this incarnation; the host must restart it as a new incarnation. Terminal. */
    record Excluded(long viewId) implements Effect {
    }

    /**
     * This process accepted (phase 2 of a view change) the proposal that ends view {@code viewId} with
     * {@code next}. Informational: the simulator records it to check that every view was chosen by a
     * majority of the view before it.
     */
    record Accepted(long viewId, View next) implements Effect {
    }

    /** This process left the group as it asked. Terminal. */
    record Left(long viewId) implements Effect {
    }
}
