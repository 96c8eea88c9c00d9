package io.backplane.node;

import io.backplane.group.protocol.ProcessId;
import io.backplane.group.protocol.View;
import io.backplane.node.cluster.GroupLink;
import io.backplane.node.config.NodeConfig;
import io.backplane.node.topic.Replicator;

/** {@code GET /api/v1/cluster} of a clustered node (CONTRACT.md §4), plus additive fields. */
final class ClusterJson {
    private ClusterJson() {
    }

    static String view(NodeConfig config, Replicator replicator) {
        StringBuilder out = new StringBuilder(160).append("{\"lan\":\"").append(config.lan())
                .append("\",\"node\":\"").append(config.nodeId()).append("\",\"view\":");
        View v = replicator == null ? null : replicator.view();
        GroupLink link = replicator == null ? null : replicator.link();
        if (v == null || link == null) {
            out.append("{\"id\":0,\"members\":[],\"coordinator\":null}");
        } else {
            out.append("{\"id\":").append(v.id()).append(",\"members\":[");
            for (int i = 0; i < v.size(); i++) {
                out.append(i == 0 ? "\"" : ",\"").append(link.nodeName(v.members().get(i))).append('"');
            }
            ProcessId c = v.coordinator();
            out.append("],\"coordinator\":\"").append(link.nodeName(c)).append("\"}");
        }
        out.append(",\"serving\":").append(replicator != null && replicator.isServing());
        if (link != null) {
            out.append(",\"lanSize\":").append(link.lanSize());
        }
        if (replicator != null) {
            out.append(",\"replication\":").append(replicator.replicationJson());
        }
        return out.append('}').toString();
    }
}
