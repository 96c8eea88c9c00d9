package io.backplane.wan;

import java.util.Collection;
import java.util.List;

/**
 * The subscribing side of remote subscriptions, as a sending link sees it: which patterns this LAN
 * mirrors from the peer, where each mirrored topic resumes, and where the peer's messages go. Every
 * method runs on the link's thread. (The receiving side is {@link MirrorSource}.)
 */
public interface MirrorSink {

    /** The patterns of the peer LAN this LAN mirrors now (cheap: called every poll). */
    Collection<String> patterns();

    /** Where each topic this LAN already mirrors under {@code pattern} resumes (its next seq). */
    List<WanFrame.Resume> resume(String pattern);

    /**
     * A message of the peer's: check it like client input and apply it asynchronously.
     *
     * @throws WanProtocolException when the frame is not one the peer may send (the link then closes)
     */
    void onData(WanFrame.MirrorData data);

    /** True while so many messages wait to be applied that the link should stop reading. */
    boolean backlogged();

    /**
     * Why the link must start its streams over (a message could not be applied in order), once, or
     * null: the link then reconnects and every pattern resumes from the mirror's state.
     */
    String takeFailure();
}
