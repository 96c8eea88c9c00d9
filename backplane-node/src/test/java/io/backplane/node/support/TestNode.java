package io.backplane.node.support;

import io.backplane.node.BackplaneNode;
import io.backplane.node.config.NodeCommand;
import io.backplane.node.config.NodeConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import picocli.CommandLine;

/** A node started in this JVM on a free port and a fresh data directory, for API tests. */
public final class TestNode implements AutoCloseable {
    private final Path dataDir;
    private final BackplaneNode node;
    private final boolean ownsDir;

    private TestNode(Path dataDir, BackplaneNode node, boolean ownsDir) {
        this.dataDir = dataDir;
        this.node = node;
        this.ownsDir = ownsDir;
    }

    /** Starts a node with the given extra flags (e.g. "--config", file). */
    public static TestNode start(String... extraFlags) {
        try {
            return start(Files.createTempDirectory("bp-node-"), true, extraFlags);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public static TestNode start(Path dataDir, boolean ownsDir, String... extraFlags) {
        List<String> args = new ArrayList<>(List.of("--data-dir", dataDir.toString(), "--http-port", "0",
                "--node-id", "n1"));
        args.addAll(List.of(extraFlags));
        NodeCommand command = new NodeCommand();
        new CommandLine(command).parseArgs(args.toArray(String[]::new));
        NodeConfig config = command.resolve("testhost");
        return new TestNode(dataDir, BackplaneNode.start(config), ownsDir);
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + node.httpPort();
    }

    public int port() {
        return node.httpPort();
    }

    public BackplaneNode node() {
        return node;
    }

    /** The WAN port, or -1 when the node opens none. */
    public int wanPort() {
        return node.wanPort();
    }

    public Path dataDir() {
        return dataDir;
    }

    @Override
    public void close() {
        node.close();
        if (ownsDir) {
            deleteRecursively(dataDir);
        }
    }

    public static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort: temp files of a test
        }
    }
}
