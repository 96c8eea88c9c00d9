package io.backplane.client;

import java.net.URI;

/** {@link NodeProcess} for tests in other packages. */
public final class NodeProcessAccess implements AutoCloseable {
    private final NodeProcess node;

    private NodeProcessAccess(NodeProcess node) {
        this.node = node;
    }

    public static NodeProcessAccess start(String name) {
        return new NodeProcessAccess(NodeProcess.start(name));
    }

    public URI uri() {
        return node.uri();
    }

    @Override
    public void close() {
        node.close();
    }
}
