package io.backplane.node;

import java.io.IOException;
import java.io.OutputStream;
import java.io.Reader;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's identity in its data directory: which LAN the data belongs to, and an incarnation
 * number bumped durably at every start (and never below the clock in seconds). Message ids embed the incarnation, so ids stay unique
 * across restarts without remembering the last id.
 */
public record NodeIdentity(String nodeId, String lan, long incarnation) {
    private static final Logger log = LoggerFactory.getLogger(NodeIdentity.class);
    static final String FILE = "node.properties";

    /** Reads, checks and advances the identity; written with fsync before the node serves. */
    public static NodeIdentity advance(Path dataDir, String nodeId, String lan) {
        Path file = dataDir.resolve(FILE);
        long previous = 0;
        if (Files.exists(file)) {
            Properties props = new Properties();
            try (Reader in = Files.newBufferedReader(file)) {
                props.load(in);
            } catch (IOException | IllegalArgumentException e) {
                throw new StartupException("data directory " + dataDir + ": cannot read " + FILE + ": " + e.getMessage());
            }
            String storedLan = props.getProperty("lan");
            if (storedLan != null && !storedLan.equals(lan)) {
                throw new StartupException("data directory " + dataDir + " belongs to LAN " + storedLan
                        + ", not " + lan + "; use another --data-dir or --lan " + storedLan);
            }
            String storedNode = props.getProperty("node-id");
            if (storedNode != null && !storedNode.equals(nodeId)) {
                log.warn("data directory {} was last used by node {}; it now runs as {}", dataDir, storedNode, nodeId);
            }
            try {
                previous = Long.parseLong(props.getProperty("incarnation", "0"));
            } catch (NumberFormatException e) {
                throw new StartupException("data directory " + dataDir + ": " + FILE + " has a bad incarnation");
            }
        }
        // At least the clock in seconds, not only previous + 1: a node whose data directory was lost
        // starts over at a higher incarnation than any its LAN has seen of it (peers order
        // incarnations of a name and ignore older ones). Message ids stay unique either way.
        NodeIdentity identity = new NodeIdentity(nodeId, lan, Math.max(previous + 1, System.currentTimeMillis() / 1000));
        identity.write(file);
        return identity;
    }

    private void write(Path file) {
        Properties props = new Properties();
        props.setProperty("node-id", nodeId);
        props.setProperty("lan", lan);
        props.setProperty("incarnation", Long.toString(incarnation));
        Path tmp = file.resolveSibling(FILE + ".tmp");
        try {
            try (OutputStream out = Files.newOutputStream(tmp)) {
                props.store(out, "Backplane node identity; do not edit while the node runs");
            }
            try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                channel.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new StartupException("data directory " + file.getParent() + " is not writable: " + e.getMessage());
        }
    }
}
