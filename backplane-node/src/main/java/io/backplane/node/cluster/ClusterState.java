package io.backplane.node.cluster;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * What a node must remember about its LAN across restarts besides its histories: the era of the
 * history it holds. An era starts each time the whole LAN restarted and re-formed; a node records
 * the era it caught up with before it counts towards any majority. After a total restart the
 * longest histories of the newest era win (see the Replicator), so a node whose history is of an
 * older era can never out-vote committed messages it missed.
 */
public final class ClusterState {
    static final String FILE = "cluster.properties";
    private final Path file;
    private long era;
    private long promised;

    private ClusterState(Path file, long era, long promised) {
        this.file = file;
        this.era = era;
        this.promised = promised;
    }

    public static ClusterState open(Path dataDir) {
        Path file = dataDir.resolve(FILE);
        long era = 0;
        long promised = 0;
        if (Files.exists(file)) {
            try {
                for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                    String l = line.trim();
                    if (l.startsWith("era=")) {
                        era = Long.parseLong(l.substring(4).trim());
                    } else if (l.startsWith("promised=")) {
                        promised = Long.parseLong(l.substring(9).trim());
                    } else if (!l.isEmpty()) {
                        throw new IllegalStateException(file + " is not a cluster state file");
                    }
                }
            } catch (IOException | NumberFormatException e) {
                throw new IllegalStateException("cannot read " + file + ": " + e.getMessage());
            }
        }
        return new ClusterState(file, era, Math.max(era, promised));
    }

    /** The era of the history this node holds (0 before any). */
    public synchronized long era() {
        return era;
    }

    /**
     * The highest era this node promised to a recovery (at least {@link #era}). A recovery picks an
     * era above every promise a majority reports, so no two recoveries ever use the same number, even
     * when the first never finished on some of its members.
     */
    public synchronized long promised() {
        return promised;
    }

    /** Records the era durably (write, fsync, rename, fsync the directory) before returning. */
    public synchronized void setEra(long newEra) {
        if (newEra == era) {
            return;
        }
        write(newEra, Math.max(promised, newEra));
    }

    /** Records a promise durably before returning; lower promises are ignored. */
    public synchronized void promise(long newEra) {
        if (newEra <= promised) {
            return;
        }
        write(era, newEra);
    }

    private void write(long newEra, long newPromised) {
        Path tmp = file.resolveSibling(FILE + ".tmp");
        try {
            try (OutputStream out = Files.newOutputStream(tmp, StandardOpenOption.CREATE,
                    StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
                out.write(("era=" + newEra + "\npromised=" + newPromised + "\n").getBytes(StandardCharsets.UTF_8));
            }
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            try (FileChannel dir = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
                dir.force(true);
            } catch (IOException ignored) {
                // not every file system lets a directory be opened for fsync
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot record the cluster era in " + file, e);
        }
        era = newEra;
        promised = newPromised;
    }
}
