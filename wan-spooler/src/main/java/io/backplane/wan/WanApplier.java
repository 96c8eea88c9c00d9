package io.backplane.wan;

import java.util.concurrent.CompletableFuture;

/**
 * What a receiving LAN does with spooled posts; implemented by the node (the topic service decides
 * at its point of the total order). Called from one connection's thread; futures may complete on any.
 */
public interface WanApplier {
    /** The outcome of one data frame, once it is durable on a majority of this LAN. */
    enum Outcome {
        /** Applied now: appended to its topic with its high-water mark. */
        APPLIED,
        /** Already applied earlier (spool seq at or below the origin's high-water mark): nothing posted. */
        DUPLICATE
    }

    /** This LAN's name. */
    String lan();

    /** Null when a sender of {@code originLan} with {@code epoch} may connect, else why not (fenced, not serving). */
    String admit(String originLan, long epoch);

    /** The highest spool seq of {@code originLan} applied as far as this node knows (0 when none). */
    long appliedHint(String originLan);

    /**
     * Applies one spooled post exactly once. Completes with the outcome once it is durable (or known
     * to be a duplicate of something durable), or exceptionally: {@link FencedException} for a stale
     * epoch, {@link OutOfOrderException} when the spool seq is not the next one, anything else when
     * the LAN cannot take it now. The link is closed on any exception and the sender resends.
     */
    CompletableFuture<Outcome> apply(String originLan, long epoch, WanFrame.Data data);

    final class FencedException extends RuntimeException {
        public FencedException(String message) {
            super(message);
        }
    }

    final class OutOfOrderException extends RuntimeException {
        public OutOfOrderException(String message) {
            super(message);
        }
    }
}
