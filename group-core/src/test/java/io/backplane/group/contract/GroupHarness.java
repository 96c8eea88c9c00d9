package io.backplane.group.contract;

import io.backplane.group.protocol.Kind;
import io.backplane.group.protocol.View;
import io.backplane.group.sim.TraceEvent;

import java.util.List;
import java.util.function.BooleanSupplier;

/** What a contract scenario needs from a cluster, whatever carries its packets. */
interface GroupHarness extends AutoCloseable {
    void multicast(int node, Kind kind, String payload);

    /** Payloads node delivered, in order. */
    List<String> deliveries(int node);

    /** The node's installed view (null while it joins). */
    View view(int node);

    void crash(int node);

    /** Starts a new incarnation at {@code node} that joins. */
    void join(int node);

    /** Waits (sim: steps; TCP: polls with a deadline) until the condition holds, or fails. */
    void awaitUntil(String what, BooleanSupplier condition);

    List<TraceEvent> trace();

    @Override
    void close();
}
