package io.backplane.systest;

import java.util.List;
import java.util.Set;

/**
 * Where the nodes live and how they can be cut apart. {@link #loopback()} puts every node on 127.0.0.1
 * and cannot partition; {@link NamespaceNetwork} gives each node its own network namespace and cuts
 * links with iptables.
 */
public interface Network extends AutoCloseable {
    /** The address node {@code index} (0-based) binds to and is reached at. */
    String address(int index);

    /** What the node's command line is prefixed with, e.g. {@code ip netns exec bp1}. */
    List<String> commandPrefix(int index);

    /** Cuts every link between a node in {@code side} and a node outside it (the harness still reaches all). */
    void partition(Set<Integer> side) throws Exception;

    /** Removes every cut. */
    void heal() throws Exception;

    @Override
    default void close() throws Exception {
        heal();
    }

    static Network loopback() {
        return new Network() {
            @Override
            public String address(int index) {
                return "127.0.0.1";
            }

            @Override
            public List<String> commandPrefix(int index) {
                return List.of();
            }

            @Override
            public void partition(Set<Integer> side) {
                throw new UnsupportedOperationException("nodes on one loopback address cannot be partitioned; use NamespaceNetwork");
            }

            @Override
            public void heal() {
            }
        };
    }
}
