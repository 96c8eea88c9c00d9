package io.backplane.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/rolling-restart.sh against a real three-node LAN started by deploy/bin/lan-up, which is also
 * the restart command (it starts whichever node is down, on its data). Every node is replaced by a new
 * process, one at a time, and the LAN keeps its history. (The loss-freedom of a rolling restart under
 * load is system-tests' RollingRestartIT; this checks the script does the steps.)
 */
class RollingRestartScriptIT {
    private static final Path DEPLOY = Paths.get(System.getProperty("backplane.deploy.dir", ".")).toAbsolutePath().normalize();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    @TempDir
    Path lanData;
    private Map<String, String> env;

    @AfterEach
    void lanDown() throws Exception {
        if (env != null) {
            run(List.of(DEPLOY.resolve("bin/lan-down").toString()), Duration.ofSeconds(120));
        }
    }

    @Test
    void restartsEveryNodeInTurnAndTheLanKeepsItsHistory() throws Exception {
        int offset = freeOffset();
        env = Map.of("LAN_DATA", lanData.toString(), "LAN_PORT_OFFSET", Integer.toString(offset), "JAVA_OPTS", "-Xmx192m",
                "BACKPLANE_JAR", DEPLOY.resolve("../backplane-node/target/backplane-node.jar").normalize().toString());
        Result up = run(List.of(DEPLOY.resolve("bin/lan-up").toString()), Duration.ofSeconds(150));
        assertThat(up.status).as(up.output).isZero();
        List<String> urls = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            urls.add("http://127.0.0.1:" + (8080 + i + offset));
        }
        for (int k = 0; k < 30; k++) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(urls.get(k % 3) + "/api/v1/topics/ROLL/T"))
                    .header("Content-Type", "application/json").header("Idempotency-Key", "k" + k)
                    .POST(HttpRequest.BodyPublishers.ofString("{\"k\":" + k + "}")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isIn(200, 201);
        }
        List<String> pidsBefore = pids();

        List<String> command = new ArrayList<>(List.of(DEPLOY.resolve("rolling-restart.sh").toString(),
                // The node's HTTP port closes a moment before its process has closed RocksDB and exited:
                // like `systemctl start`, the restart command waits for the old process first.
                "--restart", "pid=$(cat \"$LAN_DATA/n$NODE_INDEX.pid\"); while kill -0 \"$pid\" 2>/dev/null; do sleep 0.1; done; "
                        + DEPLOY.resolve("bin/lan-up"), "--timeout", "120"));
        command.addAll(urls);
        Result rolled = run(command, Duration.ofSeconds(400));
        assertThat(rolled.status).as(rolled.output).isZero();
        for (String url : urls) {
            assertThat(rolled.output).contains(url + " draining", url + " back and caught up");
        }
        assertThat(rolled.output).contains("done: 3 nodes restarted");

        List<String> pidsAfter = pids();
        for (int i = 0; i < 3; i++) {
            assertThat(pidsAfter.get(i)).as("n%d was restarted", i + 1).isNotEqualTo(pidsBefore.get(i));
        }
        for (String url : urls) {
            String body = http.send(HttpRequest.newBuilder(URI.create(url + "/api/v1/topics/ROLL/T/messages?fromSeq=1&limit=100")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertThat(body).contains("\"seq\":30").doesNotContain("\"seq\":31");
        }
        // each node drained and exited 0: its log says so, before lan-up started it again
        for (int i = 1; i <= 3; i++) {
            assertThat(Files.readString(lanData.resolve("n" + i + ".log"))).contains("drained in");
        }
    }

    @Test
    void badArgumentsExitTwoWithOneLine() throws Exception {
        env = null;
        Result none = run(List.of(DEPLOY.resolve("rolling-restart.sh").toString()), Duration.ofSeconds(10), Map.of());
        assertThat(none.status).isEqualTo(2);
        assertThat(none.output.trim().lines()).hasSize(1).first().asString().contains("URL");
        Result bad = run(List.of(DEPLOY.resolve("rolling-restart.sh").toString(), "--timeout", "soon", "http://x"),
                Duration.ofSeconds(10), Map.of());
        assertThat(bad.status).isEqualTo(2);
        assertThat(bad.output).contains("--timeout");
    }

    private List<String> pids() throws IOException {
        List<String> pids = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            pids.add(Files.readString(lanData.resolve("n" + i + ".pid")).trim());
        }
        return pids;
    }

    private record Result(int status, String output) { }

    private Result run(List<String> command, Duration timeout) throws Exception {
        return run(command, timeout, env);
    }

    private static Result run(List<String> command, Duration timeout, Map<String, String> environment) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().putAll(environment);
        Path log = Files.createTempFile("rolling-restart-", ".log");
        builder.redirectOutput(log.toFile());
        Process p = builder.start();
        if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(command + " did not finish within " + timeout + ": " + Files.readString(log));
        }
        String output = Files.readString(log, StandardCharsets.UTF_8);
        Files.delete(log);
        return new Result(p.exitValue(), output);
    }

    /** A port offset for lan-up's fixed layout (8081-8083, 7401-7403, 7501-7503) where all nine are free. */
    private static int freeOffset() {
        Random random = new Random();
        for (int attempt = 0; attempt < 100; attempt++) {
            int offset = 1000 + random.nextInt(40_000);
            boolean free = true;
            for (int base : new int[] {8080, 7400, 7500}) {
                for (int i = 1; i <= 3 && free; i++) {
                    try (ServerSocket s = new ServerSocket(base + i + offset)) {
                        s.setReuseAddress(true);
                    } catch (IOException e) {
                        free = false;
                    }
                }
            }
            if (free) {
                return offset;
            }
        }
        throw new IllegalStateException("no free port layout for lan-up");
    }
}
