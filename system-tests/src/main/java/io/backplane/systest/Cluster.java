package io.backplane.systest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The nodes of one LAN on this machine: n1..nN, each with its own data directory and fixed ports, every
 * one seeded with all the cluster ports. Views are read over REST only ({@code GET /api/v1/cluster}).
 */
public final class Cluster implements AutoCloseable {
    static final Duration VIEW_POLL_INTERVAL = Duration.ofMillis(100);
    static final Duration VIEW_READ_TIMEOUT = Duration.ofSeconds(1);

    private final List<NodeProcess> nodes;
    private final NodeApi api = new NodeApi();

    private Cluster(List<NodeProcess> nodes) {
        this.nodes = List.copyOf(nodes);
    }

    /**
     * Lays out {@code size} nodes under {@code runDir} (data in runDir/n1.., logs in runDir/logs) on free
     * ports of {@code network}; nothing is started yet.
     */
    public static Cluster layout(int size, Path runDir, Path jar, Network network) {
        List<int[]> ports = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            ports.add(new int[] {freePort(), freePort(), freePort()});
        }
        List<String> seeds = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            seeds.add(network.address(i) + ":" + ports.get(i)[1]);
        }
        List<NodeProcess> nodes = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            String id = "n" + (i + 1);
            nodes.add(new NodeProcess(new NodeProcess.Spec(id, network.address(i), ports.get(i)[0], ports.get(i)[1], ports.get(i)[2],
                    seeds, runDir.resolve(id), runDir.resolve("logs"), jar, network.commandPrefix(i))));
        }
        return new Cluster(nodes);
    }

    /** A port free right now on loopback; the harness keeps it for the node's lifetime, restarts included. */
    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Starts every node at once (they form one cluster through their seeds) and waits until each is ready. */
    public void start() throws IOException, InterruptedException {
        for (NodeProcess node : nodes) {
            node.launch();
        }
        for (NodeProcess node : nodes) {
            node.awaitReady();
        }
    }

    public List<NodeProcess> nodes() {
        return nodes;
    }

    public List<NodeProcess> running() {
        return nodes.stream().filter(NodeProcess::isRunning).toList();
    }

    public NodeProcess node(String id) {
        return nodes.stream().filter(n -> n.id().equals(id)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no node " + id + " in " + nodes));
    }

    public NodeProcess randomRunning(Random random) {
        List<NodeProcess> running = running();
        if (running.isEmpty()) {
            throw new IllegalStateException("no node is running: " + nodes);
        }
        return running.get(random.nextInt(running.size()));
    }

    public NodeApi api() {
        return api;
    }

    /** The coordinator named by the first running node that answers, as a node of this cluster. */
    public NodeProcess coordinator() throws InterruptedException {
        for (NodeProcess node : running()) {
            Optional<NodeApi.View> view = api.view(node, VIEW_READ_TIMEOUT);
            if (view.isPresent() && view.get().coordinator() != null) {
                return node(view.get().coordinator());
            }
        }
        throw new IllegalStateException("no running node names a coordinator: " + nodes);
    }

    /**
     * Polls every running node until all show the same view id and members, the members are exactly
     * the running nodes, and every one answers {@code /health} with 200 (it serves). Returns how long that took; throws {@link ViewTimeout} naming each node's view.
     */
    public Duration awaitOneView(Duration timeout) throws InterruptedException {
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        List<String> last = List.of();
        while (true) {
            List<NodeProcess> running = running();
            Set<String> expected = running.stream().map(NodeProcess::id).collect(Collectors.toCollection(TreeSet::new));
            List<NodeApi.View> views = new ArrayList<>();
            List<String> described = new ArrayList<>();
            boolean allServe = true;
            for (NodeProcess node : running) {
                Optional<NodeApi.View> view = api.view(node, VIEW_READ_TIMEOUT);
                boolean serves = api.healthy(node.httpUri(), VIEW_READ_TIMEOUT);
                allServe &= serves;
                view.ifPresent(views::add);
                described.add(view.map(NodeApi.View::describe).orElse(node.id() + ": no view") + (serves ? "" : " (health not 200)"));
            }
            last = described;
            if (allServe && views.size() == running.size() && !views.isEmpty()
                    && views.stream().allMatch(v -> v.id() == views.get(0).id() && v.members().equals(views.get(0).members()))
                    && new TreeSet<>(views.get(0).members()).equals(expected)) {
                return Duration.ofNanos(System.nanoTime() - start);
            }
            if (System.nanoTime() > deadline) {
                throw new ViewTimeout("no single view of " + expected + " within " + timeout.toSeconds() + " s; last seen: " + last);
            }
            Thread.sleep(VIEW_POLL_INTERVAL.toMillis());
        }
    }

    /** The running nodes did not agree on one view in time. */
    public static final class ViewTimeout extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ViewTimeout(String message) {
            super(message);
        }
    }

    /** SIGTERM to every node still up, expecting exit 0; returns the nodes that did not exit cleanly. */
    public List<String> terminateAll() {
        List<String> unclean = new ArrayList<>();
        for (NodeProcess node : nodes) {
            try {
                int status = node.terminate();
                if (status != 0) {
                    unclean.add(node.id() + " exited " + status + " on SIGTERM");
                }
            } catch (IOException | RuntimeException e) {
                unclean.add(node.id() + ": " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                unclean.add(node.id() + ": interrupted");
            }
        }
        return unclean;
    }

    @Override
    public void close() {
        nodes.forEach(NodeProcess::destroy);
    }
}
