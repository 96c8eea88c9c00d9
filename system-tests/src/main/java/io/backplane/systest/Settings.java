package io.backplane.systest;

import java.nio.file.Path;
import java.time.Duration;

/**
 * One run's knobs, from system properties so the same IT runs short in CI and long on demand:
 * {@code systest.nodes} (3), {@code systest.long} (false: CI budget; true: more repetitions and longer
 * load), {@code systest.seed} (random; printed in every summary so a run can be repeated),
 * {@code systest.rate} (posts per second per publisher), {@code systest.dir} (where runs write),
 * {@code backplane.node.jar} (the node's shaded jar).
 */
public record Settings(String name, int nodes, int topics, int publishers, int postsPerSecondPerPublisher, long seed,
                       boolean longRun, Duration oneViewDeadline, Duration failureDetection, Path runDir, Path jar) {
    /** Issue 5: one view within 30 s of the last fault. */
    static final Duration ONE_VIEW_DEADLINE = Duration.ofSeconds(30);
    /** Longest failure-detection timeout the node is expected to use in these tests (DESIGN.md §6: a few seconds). */
    static final Duration FAILURE_DETECTION = Duration.ofSeconds(2);

    public Settings {
        if (nodes < 1 || topics < 1 || publishers < 1) {
            throw new IllegalArgumentException("nodes, topics and publishers must be at least 1: " + nodes + ", " + topics + ", " + publishers);
        }
    }

    public static Settings fromSystemProperties(String name) {
        String seedProperty = System.getProperty("systest.seed", "");
        long seed = seedProperty.isBlank() ? System.nanoTime() : Long.parseLong(seedProperty.trim());
        Path dir = Path.of(System.getProperty("systest.dir", "target/systest"));
        String jar = System.getProperty("backplane.node.jar", "../backplane-node/target/backplane-node.jar");
        return new Settings(name, Integer.getInteger("systest.nodes", 3), 4, 2, Integer.getInteger("systest.rate", 40), seed,
                Boolean.getBoolean("systest.long"), ONE_VIEW_DEADLINE, FAILURE_DETECTION,
                dir.resolve(name).toAbsolutePath(), Path.of(jar).toAbsolutePath());
    }

    /** How many times a repeated fault is injected: the five in CI, more in a long run. */
    public int repetitions() {
        return longRun ? 20 : 5;
    }

    public Settings withNodes(int n) {
        return new Settings(name, n, topics, publishers, postsPerSecondPerPublisher, seed, longRun, oneViewDeadline, failureDetection, runDir, jar);
    }
}
