package io.backplane.node.support;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A node in a child JVM, started exactly as a user starts it (the Main class with flags) so tests
 * can SIGKILL it, SIGTERM it and read its stdout/stderr and exit status.
 */
public final class NodeProcess implements AutoCloseable {
    private final Process process;
    private final List<String> stdout = new CopyOnWriteArrayList<>();
    private final List<String> stderr = new CopyOnWriteArrayList<>();
    private final CompletableFuture<Integer> httpPort = new CompletableFuture<>();
    private final CompletableFuture<Void> ready = new CompletableFuture<>();

    private NodeProcess(Process process) {
        this.process = process;
        pump(process.getInputStream(), stdout, true);
        pump(process.getErrorStream(), stderr, false);
    }

    /** Starts {@code Main} with the given flags; does not wait for {@code ready}. */
    public static NodeProcess launch(String... flags) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx256m");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add("io.backplane.node.Main");
        command.addAll(List.of(flags));
        try {
            return new NodeProcess(new ProcessBuilder(command).directory(new File(System.getProperty("java.io.tmpdir"))).start());
        } catch (IOException e) {
            throw new IllegalStateException("cannot start a node process", e);
        }
    }

    /** Starts a node on free ports in {@code dataDir} and waits until it prints {@code ready}. */
    public static NodeProcess startReady(Path dataDir, String... extraFlags) {
        List<String> flags = new ArrayList<>(List.of("--data-dir", dataDir.toString(), "--http-port", "0", "--node-id", "p1"));
        flags.addAll(List.of(extraFlags));
        NodeProcess node = launch(flags.toArray(String[]::new));
        node.awaitReady();
        return node;
    }

    private void pump(java.io.InputStream in, List<String> sink, boolean parse) {
        Thread t = new Thread(() -> {
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = reader.readLine()) != null) {
                    sink.add(line);
                    if (parse && line.startsWith("listening http=")) {
                        httpPort.complete(Integer.parseInt(line.substring("listening http=".length()).trim()));
                    }
                    if (parse && line.equals("ready")) {
                        ready.complete(null);
                    }
                }
            } catch (IOException e) {
                // the process died; exit status tells the rest
            }
        }, "node-process-output");
        t.setDaemon(true);
        t.start();
    }

    public void awaitReady() {
        try {
            ready.get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("node did not print ready; alive=" + process.isAlive() + " stderr=" + stderr, e);
        }
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + httpPort.join();
    }

    public List<String> stdout() {
        return stdout;
    }

    public List<String> stderr() {
        return stderr;
    }

    /** SIGKILL: no shutdown code runs. */
    public void kill9() {
        process.destroyForcibly();
        waitFor(30);
    }

    /** SIGTERM, then the exit status. */
    public int terminate() {
        process.destroy();
        return waitFor(30);
    }

    public int waitFor(int seconds) {
        try {
            if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("node did not exit within " + seconds + " s");
            }
            // Let the output pumps read the last lines.
            Thread.sleep(50);
            return process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted");
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
