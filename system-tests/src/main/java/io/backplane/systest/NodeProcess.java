package io.backplane.systest;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One node JVM started from the shaded jar, as an operator would start it (CONTRACT.md §2): its own data
 * directory, fixed ports chosen by the harness so a restart comes back at the same address, stdout and
 * stderr appended to files under the run's directory across restarts. Signals are sent to its pid with
 * {@code kill}, so a test can kill -9, pause and resume it exactly as a machine failure would.
 */
public final class NodeProcess {
    /** How a node is started; {@code commandPrefix} runs it elsewhere (e.g. {@code ip netns exec ns1}). */
    public record Spec(String nodeId, String bindAddress, int httpPort, int clusterPort, int wanPort,
                       List<String> seeds, Path dataDir, Path logDir, Path jar, List<String> commandPrefix,
                       List<String> extraFlags) {
        public Spec(String nodeId, String bindAddress, int httpPort, int clusterPort, int wanPort,
                    List<String> seeds, Path dataDir, Path logDir, Path jar, List<String> commandPrefix) {
            this(nodeId, bindAddress, httpPort, clusterPort, wanPort, seeds, dataDir, logDir, jar, commandPrefix, List.of());
        }
    }

    /** The lifecycle as the harness drives it; {@link #state()} is what the last command left it in. */
    public enum State { NEW, RUNNING, PAUSED, DEAD }

    static final Duration READY_TIMEOUT = Duration.ofSeconds(90);
    static final Duration EXIT_TIMEOUT = Duration.ofSeconds(30);

    private final Spec spec;
    /** Environment for the next start only (e.g. an armed crash point); cleared by it. */
    private java.util.Map<String, String> nextStartEnv = java.util.Map.of();
    private Process process;
    private CompletableFuture<Void> ready;
    private State state = State.NEW;
    private int starts;

    public NodeProcess(Spec spec) {
        this.spec = spec;
    }

    public String id() {
        return spec.nodeId();
    }

    public Spec spec() {
        return spec;
    }

    public URI httpUri() {
        return URI.create("http://" + spec.bindAddress() + ":" + spec.httpPort());
    }

    public URI wsUri() {
        return URI.create("ws://" + spec.bindAddress() + ":" + spec.httpPort() + "/api/v1/ws");
    }

    public synchronized State state() {
        return state;
    }

    public synchronized boolean isRunning() {
        return state == State.RUNNING;
    }

    /** Extra environment variables for the next start only, e.g. {@code BACKPLANE_CRASH_POINT}. */
    public synchronized void envForNextStart(java.util.Map<String, String> env) {
        nextStartEnv = java.util.Map.copyOf(env);
    }

    /** Waits for the process to exit on its own (a crash point) and marks it dead; false on timeout. */
    public boolean awaitExit(Duration timeout) throws InterruptedException {
        Process p;
        synchronized (this) {
            p = process;
        }
        boolean exited = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (exited) {
            synchronized (this) {
                state = State.DEAD;
            }
        }
        return exited;
    }

    public synchronized long pid() {
        if (process == null) {
            throw new IllegalStateException(id() + " was never started");
        }
        return process.pid();
    }

    /** Starts the JVM without waiting; {@link #awaitReady()} waits for {@code ready}. */
    public synchronized void launch() throws IOException {
        if (state == State.RUNNING || state == State.PAUSED) {
            throw new IllegalStateException(id() + " is already " + state);
        }
        Files.createDirectories(spec.dataDir());
        Files.createDirectories(spec.logDir());
        List<String> command = new ArrayList<>(spec.commandPrefix());
        command.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError",
                "-jar", spec.jar().toString(),
                "--node-id", spec.nodeId(),
                "--bind", spec.bindAddress(),
                "--data-dir", spec.dataDir().toString(),
                "--http-port", Integer.toString(spec.httpPort()),
                "--cluster-port", Integer.toString(spec.clusterPort()),
                "--wan-port", Integer.toString(spec.wanPort())));
        if (!spec.seeds().isEmpty()) { // none: a single node, not a LAN group of one
            command.addAll(List.of("--seeds", String.join(",", spec.seeds())));
        }
        command.addAll(spec.extraFlags()); // e.g. --lan, --wan-peer
        starts++;
        Path stdout = spec.logDir().resolve(id() + ".out");
        Files.writeString(stdout, "=== start " + starts + ": " + String.join(" ", command) + "\n",
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectError(ProcessBuilder.Redirect.appendTo(spec.logDir().resolve(id() + ".err").toFile()));
        builder.environment().putAll(nextStartEnv);
        nextStartEnv = java.util.Map.of();
        process = builder.start();
        state = State.RUNNING;
        ready = new CompletableFuture<>();
        Process started = process;
        CompletableFuture<Void> readyOfThisStart = ready;
        Thread pump = new Thread(() -> pump(started, stdout, readyOfThisStart), id() + "-stdout-" + starts);
        pump.setDaemon(true);
        pump.start();
    }

    /** Copies the node's stdout to its log file and completes {@code readyFuture} on the {@code ready} line. */
    private void pump(Process p, Path log, CompletableFuture<Void> readyFuture) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
             Writer out = Files.newBufferedWriter(log, StandardCharsets.UTF_8, StandardOpenOption.APPEND)) {
            String line;
            while ((line = in.readLine()) != null) {
                out.write(line);
                out.write('\n');
                out.flush();
                if (line.equals("ready")) {
                    readyFuture.complete(null);
                }
            }
        } catch (IOException e) {
            readyFuture.completeExceptionally(e);
        }
        readyFuture.completeExceptionally(new IllegalStateException(id() + " closed its stdout before printing ready"));
    }

    /** Waits until the node printed {@code ready} (it is in a primary view and serves requests). */
    public void awaitReady() throws IOException, InterruptedException {
        CompletableFuture<Void> r;
        synchronized (this) {
            r = ready;
        }
        try {
            r.get(READY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException(id() + " did not print ready within " + READY_TIMEOUT.toSeconds() + " s ("
                    + e.getMessage() + "); last stderr: " + tail(spec.logDir().resolve(id() + ".err")), e);
        }
    }

    public void start() throws IOException, InterruptedException {
        launch();
        awaitReady();
    }

    /** SIGKILL: the process dies at once, with whatever its disk holds. */
    public void kill9() throws IOException, InterruptedException {
        Process p;
        synchronized (this) {
            p = process;
            signal("KILL");
            state = State.DEAD;
        }
        if (!p.waitFor(EXIT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException(id() + " did not die within " + EXIT_TIMEOUT.toSeconds() + " s of SIGKILL");
        }
    }

    public synchronized void sigstop() throws IOException, InterruptedException {
        requireState(State.RUNNING);
        signal("STOP");
        state = State.PAUSED;
    }

    public synchronized void sigcont() throws IOException, InterruptedException {
        requireState(State.PAUSED);
        signal("CONT");
        state = State.RUNNING;
    }

    /** SIGTERM, and the contract's clean exit: status 0 within {@link #EXIT_TIMEOUT}. Returns the status. */
    public int terminate() throws IOException, InterruptedException {
        Process p;
        synchronized (this) {
            if (state == State.DEAD || state == State.NEW) {
                return 0;
            }
            if (state == State.PAUSED) {
                sigcont();
            }
            p = process;
            signal("TERM");
            state = State.DEAD;
        }
        if (!p.waitFor(EXIT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException(id() + " did not exit within " + EXIT_TIMEOUT.toSeconds() + " s of SIGTERM");
        }
        return p.exitValue();
    }

    /**
     * Waits for a node that was asked to stop by itself (a drain) to exit; returns its status. The node
     * is DEAD afterwards, whatever happened; a node still up after {@code timeout} is killed and
     * reported by an exception.
     */
    public int awaitDrainedExit(Duration timeout) throws InterruptedException {
        Process p;
        synchronized (this) {
            requireState(State.RUNNING);
            p = process;
        }
        boolean exited = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        synchronized (this) {
            state = State.DEAD;
        }
        if (!exited) {
            p.destroyForcibly();
            throw new IllegalStateException(id() + " did not exit within " + timeout.toSeconds() + " s of its drain");
        }
        return p.exitValue();
    }

    /** Starts a dead node again with the same data directory and ports, and waits for {@code ready}. */
    public void restart() throws IOException, InterruptedException {
        requireState(State.DEAD);
        start();
    }

    /** Last resort at the end of a test: no process may outlive it. */
    public synchronized void destroy() {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
        }
        state = State.DEAD;
    }

    private synchronized void requireState(State wanted) {
        if (state != wanted) {
            throw new IllegalStateException(id() + " is " + state + ", not " + wanted);
        }
    }

    /** {@code kill -SIG pid}: the JDK only has SIGTERM and SIGKILL, the tests need SIGSTOP and SIGCONT too. */
    private void signal(String name) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).redirectErrorStream(true).start();
        String output = new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (kill.waitFor() != 0 && !name.equals("KILL")) {
            throw new IllegalStateException("kill -" + name + " " + process.pid() + " (" + id() + ") failed: " + output);
        }
    }

    static String tail(Path file) {
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            return String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
        } catch (IOException e) {
            return "(" + file + " unreadable: " + e.getMessage() + ")";
        }
    }

    @Override
    public String toString() {
        return id() + "[" + state() + ", http " + spec.httpPort() + ", cluster " + spec.clusterPort() + "]";
    }
}
