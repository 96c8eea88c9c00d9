package io.backplane.node.cluster;

import io.backplane.group.protocol.Effect;
import io.backplane.group.protocol.Kind;
import io.backplane.group.protocol.ProcessId;
import io.backplane.group.protocol.View;
import java.io.IOException;
import java.util.function.Consumer;

/**
 * This node's membership of its LAN group, as the replication layer sees it: one incarnation of a
 * group-core member. An excluded incarnation is dead; the node makes a new link with a higher
 * incarnation (see {@link Factory}).
 */
public interface GroupLink extends AutoCloseable {

    /** Starts the member; effects arrive on the group's thread, in order, and must not block it. */
    void start(Consumer<Effect> listener) throws IOException;

    /** Queues a multicast. Throws {@link IllegalStateException} when the request queue is full. */
    void multicast(Kind kind, byte[] payload);

    ProcessId self();

    /** The last installed view, or null before the first. Any thread. */
    View view();

    /** The node id (name) of a member of the current view, or a placeholder when unknown. */
    String nodeName(ProcessId member);

    /** The {@code host:port} of a member's HTTP listener, or null when unknown. */
    String httpAddress(ProcessId member);

    /** How many nodes this LAN has by configuration: the majority that must agree (at least 1). */
    int lanSize();

    /** The TCP port the group transport listens on. */
    int clusterPort();

    /**
     * Leaves the group and waits (at most {@code timeoutMillis}) until the others installed a view
     * without us, so a clean stop costs them no failure-detection delay. Then {@link #close} it.
     */
    void leaveAndWait(long timeoutMillis);

    @Override
    void close();

    /** Makes links, each a new incarnation (durably higher than any before it). */
    interface Factory {
        GroupLink create();
    }
}
