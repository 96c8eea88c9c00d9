package io.backplane.group.runtime;

import io.backplane.group.groups.GroupEffect;
import io.backplane.group.groups.GroupLayer;
import io.backplane.group.groups.GroupLayerConfig;
import io.backplane.group.protocol.Effect;
import io.backplane.group.protocol.Engine;
import io.backplane.group.protocol.Kind;
import io.backplane.group.protocol.ProcessId;
import io.backplane.group.protocol.View;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.function.Consumer;

/**
 * One node of a LAN that finds its peers from seed addresses instead of a fixed address map
 * (ARCHITECTURE.md §7.2): the API a host process (backplane-node) uses.
 *
 * <pre>{@code
 * ClusterMember m = new ClusterMember(ClusterConfig.builder("n1").incarnation(7).port(0)
 *         .seeds("10.0.0.2:7400,10.0.0.3:7400").metadata(Map.of("http", "10.0.0.1:8080")).build(),
 *         effect -> ...);   // InstallView, Deliver, Sent, Availability, Excluded, Left, ... on the engine thread
 * m.start();
 * int port = m.localPort();
 * }</pre>
 *
 * <p>The node starts joining. Its transport exchanges HELLOs with the seeds and then with every node they
 * know of; the engine sends join requests to every node in the address book. If no member admits it, it
 * founds a view of itself when {@link FoundingRule} allows, and the others join that view. The listener
 * runs on the engine thread and must not block. {@link Effect.Excluded} is terminal: the host restarts the
 * node as a new instance with a higher incarnation.
 */
public final class ClusterMember implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterMember.class);

    private final ClusterConfig config;
    private final GroupNode node;
    private final TcpTransport transport;
    private long startNanos;
    private long appliedBookVersion = -1;
    private long nextFoundingCheckNanos;
    private volatile String foundingState = "not started";

    public ClusterMember(ClusterConfig config, Consumer<Effect> listener) {
        this.config = config;
        this.node = new GroupNode(config, listener, this::onTick);
        this.transport = node.transport();
    }

    private ClusterMember(ClusterConfig config, GroupLayerConfig layerConfig, Consumer<GroupEffect> listener) {
        this.config = config;
        this.node = new GroupNode(config, null, this::onTick, layerConfig, listener);
        this.transport = node.transport();
    }

    /**
     * A member that runs the lightweight-group layer over its LAN engine (groups, group RPC, state transfer):
     * {@code listener} gets every {@link GroupEffect} on the engine thread (LAN effects wrapped in
     * {@link GroupEffect.Lan}); requests go through {@link #groups(Consumer)}.
     */
    public static ClusterMember withGroups(ClusterConfig config, GroupLayerConfig layerConfig,
                                           Consumer<GroupEffect> listener) {
        return new ClusterMember(config, layerConfig, listener);
    }

    /** Runs {@code request} against the group layer on the engine thread (a member made by {@link #withGroups}). */
    public void groups(Consumer<GroupLayer> request) {
        node.groups(request);
    }

    /** Binds the cluster port and starts the transport and engine threads. */
    public void start() throws IOException {
        startNanos = System.nanoTime();
        foundingState = "joining";
        node.start();
        LOG.info("node {} ({}) listens on cluster port {}, seeds {}, expected LAN size {}", config.name(),
                config.self(), localPort(), config.seeds(), config.expectedSize());
    }

    /** The cluster port listened on (the chosen one when configured as 0). */
    public int localPort() {
        return node.localPort();
    }

    public String name() {
        return config.name();
    }

    /** This incarnation as the engine names it: {@code (slot of the name, incarnation)}. */
    public ProcessId self() {
        return config.self();
    }

    /** The last view installed, or null while joining; any thread. */
    public View view() {
        return node.view();
    }

    /** JOINING, MEMBER, UNAVAILABLE or GONE, with the view id: what peers hear of this node. */
    public MemberStatus memberStatus() {
        return node.memberStatus();
    }

    /** Asks for a multicast; the outcome arrives as {@link Effect.Sent} or {@link Effect.Rejected}. */
    public void multicast(Kind kind, byte[] payload) {
        node.multicast(kind, payload);
    }

    /** Asks to leave; {@link Effect.Left} follows. */
    public void leave() {
        node.leave();
    }

    /**
     * Name, address and metadata of the node in {@code member}'s slot, from the address book; empty if the
     * slot is unknown. The entry is that name's newest known incarnation, which may be newer than
     * {@code member} (compare {@link NodeInfo#incarnation()}).
     */
    public Optional<NodeInfo> memberInfo(ProcessId member) {
        return Optional.ofNullable(transport.book().get(member.node()));
    }

    /** Every node known, by slot, this one included. */
    public SortedMap<Integer, NodeInfo> book() {
        return transport.book();
    }

    /** The last status heard from each peer, by slot. */
    public Map<Integer, PeerStatus> peerStatuses() {
        return transport.peerStatuses();
    }

    /** Why this node has or has not founded a view yet, for operators and tests. */
    public String foundingState() {
        return foundingState;
    }

    /** Why the engine thread stopped on its own (a broken invariant), or null. */
    public RuntimeException failure() {
        return node.failure();
    }

    /** Stops both threads and closes every connection; idempotent. Peers see a crash. */
    @Override
    public void close() {
        node.close();
    }

    /** On the engine thread, after each tick: follow the address book, and found a view if the rule says so. */
    private void onTick(Engine engine) {
        long version = transport.bookVersion();
        if (version != appliedBookVersion) {
            appliedBookVersion = version;
            engine.updateSeedNodes(new ArrayList<>(transport.book().keySet()));
        }
        if (engine.state() != Engine.State.JOINING || engine.view() != null) {
            return;
        }
        long now = System.nanoTime();
        if (now - startNanos < config.foundingDelayMillis() * 1_000_000L || now - nextFoundingCheckNanos < 0) {
            return;
        }
        nextFoundingCheckNanos = now + config.gossipIntervalMillis() * 1_000_000L / 2;
        FoundingRule.Decision d = FoundingRule.decide(config.slot(), config.expectedSize(),
                transport.peerStatuses().values(), now, config.statusFreshMillis() * 1_000_000L,
                config.foundingStableMillis() * 1_000_000L, config.stuckMemberGraceMillis() * 1_000_000L);
        foundingState = d.reason();
        if (d.found() && engine.found(d.viewIdAtLeast())) {
            foundingState = "founded " + engine.view() + ": " + d.reason();
            LOG.info("node {} founds {}: {}", config.name(), engine.view(), d.reason());
        }
    }
}
