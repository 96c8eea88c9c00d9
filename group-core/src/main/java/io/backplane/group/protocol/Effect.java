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

    /** A request was refused because its bounded queue is full (flow control). */
    record Rejected(long requestId, String reason) implements Effect {
    }

    /** Every multicast this process sent before {@code stabilize()} returned {@code token} is stable. */
    record Stabilized(long token) implements Effect {
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
