package io.backplane.client;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A real backplane-node process for system tests, started from the node's shaded jar (the SDK has no
 * dependency on server classes, not even in tests). Its output goes to a log file under target/.
 */
final class NodeProcess implements AutoCloseable {
    private static final long READY_TIMEOUT_MILLIS = 30_000;

    private final Path dataDir;
    private final Path log;
    private Process process;
    private int httpPort;

    private NodeProcess(Path dataDir, Path log) {
        this.dataDir = dataDir;
        this.log = log;
    }

    /** Starts a node on a free port with a fresh data directory under target/. */
    static NodeProcess start(String name) {
        try {
            Path base = Paths.get("target", "nodes");
            Files.createDirectories(base);
            Path dir = Files.createTempDirectory(base.toAbsolutePath(), name + "-");
            NodeProcess node = new NodeProcess(dir.resolve("data"), dir.resolve("node.log"));
            node.launch(0);
            return node;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Path nodeJar() {
        Path jar = Paths.get(System.getProperty("backplane.node.jar", "../backplane-node/target/backplane-node.jar"));
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("the node jar " + jar.toAbsolutePath() + " is missing: build it first with "
                    + "`mvn -q -B -pl history-store,backplane-node install -DskipTests` from the repository root");
        }
        return jar;
    }

    private void launch(int port) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(
                Paths.get(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                "-jar", nodeJar().toAbsolutePath().toString(),
                "--http-port", Integer.toString(port), "--cluster-port", "0", "--wan-port", "0",
                "--data-dir", dataDir.toAbsolutePath().toString()));
        process = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        CompletableFuture<Integer> ready = new CompletableFuture<>();
        Process p = process;
        Thread reader = new Thread(() -> pump(p, ready), "node-output");
        reader.setDaemon(true);
        reader.start();
        try {
            httpPort = ready.get(READY_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            process.destroyForcibly();
            throw new IllegalStateException("node did not print ready within " + READY_TIMEOUT_MILLIS + " ms; see " + log.toAbsolutePath(), e);
        }
    }

    private void pump(Process p, CompletableFuture<Integer> ready) {
        int port = -1;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
             PrintWriter out = new PrintWriter(Files.newBufferedWriter(log, StandardCharsets.UTF_8,
                     java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND), true)) {
            String line;
            while ((line = in.readLine()) != null) {
                out.println(line);
                if (line.startsWith("listening http=")) {
                    port = Integer.parseInt(line.substring("listening http=".length()).trim());
                } else if (line.equals("ready")) {
                    ready.complete(port);
                }
            }
        } catch (IOException | RuntimeException e) {
            ready.completeExceptionally(e);
        }
        if (ready.isDone()) {
            return; // the output ends when the node is stopped after it was ready: nothing to report
        }
        String exit;
        try {
            exit = p.waitFor(5, TimeUnit.SECONDS) ? "exited with " + p.exitValue() : "closed its output";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            exit = "closed its output";
        }
        ready.completeExceptionally(new IllegalStateException("node " + exit + " before printing ready"));
    }

    URI uri() {
        return URI.create("http://127.0.0.1:" + httpPort);
    }

    int httpPort() {
        return httpPort;
    }

    /** SIGKILL: no flush, no goodbye; what is not fsynced is lost. */
    void kill() {
        process.destroyForcibly();
        waitFor();
    }

    /** Starts the node again on the same port and data directory. */
    void restart() {
        try {
            launch(httpPort);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    long pid() {
        return process.pid();
    }

    /** Starts the node again on the same data directory but another port (clients do not see it). */
    void restartOnPort(int port) {
        try {
            launch(port);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    boolean isAlive() {
        return process.isAlive();
    }

    private void waitFor() {
        try {
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** SIGTERM, then SIGKILL if it does not stop in time; the data directory stays. */
    void stop() {
        if (process != null && process.isAlive()) {
            process.destroy();
            waitFor();
        }
    }

    /** Stops the node and deletes its data directory (the log stays, for post-mortems). */
    @Override
    public void close() {
        stop();
        try (java.util.stream.Stream<Path> files = Files.walk(dataDir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            // Nothing there, or already gone: the directory is under target/ and mvn clean removes it.
        }
    }
}
