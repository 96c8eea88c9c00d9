package io.backplane.node.cluster;

import io.backplane.group.protocol.Effect;
import io.backplane.group.protocol.Kind;
import io.backplane.group.protocol.ProcessId;
import io.backplane.group.protocol.View;
import io.backplane.group.runtime.ClusterConfig;
import io.backplane.group.runtime.ClusterMember;
import io.backplane.group.runtime.NodeInfo;
import java.io.IOException;
import java.util.function.Consumer;

/** A {@link GroupLink} over group-core's TCP runtime, finding the LAN through {@code --seeds}. */
public final class ClusterMemberLink implements GroupLink {
    /** Metadata key under which a node publishes its HTTP listener ({@code host:port}). */
    public static final String HTTP = "http";

    private final ClusterConfig config;
    private ClusterMember member;

    public ClusterMemberLink(ClusterConfig config) {
        this.config = config;
    }

    @Override
    public void start(Consumer<Effect> listener) throws IOException {
        member = new ClusterMember(config, listener);
        member.start();
    }

    @Override
    public void multicast(Kind kind, byte[] payload) {
        member.multicast(kind, payload);
    }

    @Override
    public ProcessId self() {
        return config.self();
    }

    @Override
    public View view() {
        return member == null ? null : member.view();
    }

    @Override
    public String nodeName(ProcessId p) {
        return info(p) == null ? "slot-" + p.node() : info(p).name();
    }

    @Override
    public String httpAddress(ProcessId p) {
        NodeInfo info = info(p);
        return info == null ? null : info.metadata().get(HTTP);
    }

    private NodeInfo info(ProcessId p) {
        return member == null ? null : member.memberInfo(p).orElse(null);
    }

    @Override
    public int lanSize() {
        return config.expectedSize();
    }

    @Override
    public int clusterPort() {
        return member.localPort();
    }

    /** Why this node has or has not founded or joined a view yet. */
    public String foundingState() {
        return member == null ? "not started" : member.foundingState();
    }

    @Override
    public void leaveAndWait(long timeoutMillis) {
        if (member == null || member.view() == null) {
            return;
        }
        member.leave();
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        while (member.memberStatus().code() != io.backplane.group.runtime.MemberStatus.GONE
                && System.nanoTime() < deadline) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    @Override
    public void close() {
        if (member != null) {
            member.close();
        }
    }
}
