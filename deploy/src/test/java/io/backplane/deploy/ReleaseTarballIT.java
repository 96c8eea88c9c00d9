package io.backplane.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The release as an operator gets it: the tarball built by package.sh is unpacked and the node is
 * started through bin/backplane with the shipped configuration template, as docs/OPERATIONS.md says.
 */
class ReleaseTarballIT {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    @TempDir
    Path unpacked;
    @TempDir
    Path data;
    private Path home;
    private final List<Process> processes = new ArrayList<>();

    @BeforeEach
    void unpack() throws Exception {
        Path dir = Paths.get(System.getProperty("backplane.tarball.dir"));
        Path tarball;
        try (Stream<Path> files = Files.list(dir)) {
            tarball = files.filter(f -> f.getFileName().toString().matches("backplane-.*\\.tar\\.gz")).findFirst()
                    .orElseThrow(() -> new AssertionError("no backplane-*.tar.gz in " + dir + " (package.sh runs in the package phase)"));
        }
        Process tar = new ProcessBuilder("tar", "-xzf", tarball.toString(), "-C", unpacked.toString()).inheritIO().start();
        assertThat(tar.waitFor()).isZero();
        try (Stream<Path> entries = Files.list(unpacked)) {
            home = entries.findFirst().orElseThrow();
        }
    }

    @AfterEach
    void stop() {
        processes.forEach(Process::destroyForcibly);
    }

    @Test
    void theTarballHasTheDocumentedLayout() throws IOException {
        assertThat(home.getFileName().toString()).isEqualTo("backplane-" + Files.readString(home.resolve("VERSION")).trim());
        assertThat(home.resolve("bin/backplane")).isExecutable();
        for (String file : List.of("lib/backplane-node.jar", "config/backplane.yaml", "systemd/backplane.service",
                "systemd/backplane.env", "docs/OPERATIONS.md", "docs/API.md")) {
            assertThat(home.resolve(file)).as(file).isRegularFile();
        }
    }

    @Test
    void theSystemdUnitRunsTheShippedScriptAsItsOwnUserWithDataInTheStateDirectory() throws IOException {
        List<String> unit = Files.readAllLines(home.resolve("systemd/backplane.service"));
        assertThat(unit).contains(
                "ExecStart=/opt/backplane/bin/backplane --config /etc/backplane/backplane.yaml",
                "User=backplane",
                "StateDirectory=backplane",
                "WorkingDirectory=/var/lib/backplane",
                "Restart=on-failure",
                "RestartPreventExitStatus=2",
                "KillSignal=SIGTERM",
                "ReadWritePaths=/var/lib/backplane",
                "EnvironmentFile=-/etc/backplane/backplane.env");
        assertThat(Files.readString(home.resolve("config/backplane.yaml"))).contains("data-dir: /var/lib/backplane");
    }

    @Test
    void bin_backplaneStartsANodeWithTheShippedConfigThatServesAndStopsCleanlyOnSigterm() throws Exception {
        Process node = start(List.of("--config", home.resolve("config/backplane.yaml").toString(),
                "--data-dir", data.toString(), "--http-port", "0", "--cluster-port", "0", "--wan-port", "0"));
        BufferedReader out = new BufferedReader(new InputStreamReader(node.getInputStream(), StandardCharsets.UTF_8));
        int port = awaitReady(out);

        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> posted = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/topics/OPS/CHECK"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"ok\":true}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(posted.statusCode()).isEqualTo(201);
        assertThat(posted.body()).contains("\"seq\":1");
        HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).isEqualTo(200);

        CompletableFuture.runAsync(() -> out.lines().forEach(line -> { })); // keep draining the log
        node.destroy(); // SIGTERM, as systemd and Kubernetes send it
        assertThat(node.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(node.exitValue()).isZero();
        assertThat(data.resolve("history")).isDirectory();
    }

    @Test
    void bin_backplaneTakesACheckpointAndDrainsTheNodeWhichThenExitsZero() throws Exception {
        Process node = start(List.of("--config", home.resolve("config/backplane.yaml").toString(),
                "--data-dir", data.toString(), "--http-port", "0", "--cluster-port", "0", "--wan-port", "0"));
        BufferedReader out = new BufferedReader(new InputStreamReader(node.getInputStream(), StandardCharsets.UTF_8));
        int port = awaitReady(out);
        CompletableFuture.runAsync(() -> out.lines().forEach(line -> { }));
        String url = "http://127.0.0.1:" + port;

        Process checkpoint = admin("checkpoint", "--url", url, "nightly");
        assertThat(checkpoint.waitFor(30, TimeUnit.SECONDS)).isTrue();
        String answer = new String(checkpoint.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(checkpoint.exitValue()).as(answer).isZero();
        assertThat(answer).contains("\"checkpoint\":\"nightly\"");
        assertThat(data.resolve("checkpoints/nightly/CURRENT")).isRegularFile();

        Process again = admin("checkpoint", "--url", url, "nightly"); // the name is taken: 400, exit 1
        assertThat(again.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(again.exitValue()).isEqualTo(1);

        Process drain = admin("drain", "--url", url);
        assertThat(drain.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(drain.exitValue()).isZero();
        assertThat(node.waitFor(30, TimeUnit.SECONDS)).as("the drained node exits by itself").isTrue();
        assertThat(node.exitValue()).isZero();
    }

    @Test
    void theReleaseShipsTheRollingRestartScriptAndTheConfigReference() {
        assertThat(home.resolve("bin/rolling-restart")).isExecutable();
        assertThat(home.resolve("docs/CONFIG.md")).isRegularFile();
    }

    private Process admin(String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(home.resolve("bin/backplane").toString());
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        processes.add(p);
        return p;
    }

    @Test
    void aBadFlagThroughTheScriptExits2WithOneLineNamingIt() throws Exception {
        Process node = start(List.of("--http-port", "99999", "--data-dir", data.toString()));
        assertThat(node.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(node.exitValue()).isEqualTo(2);
        String err = new String(node.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(err.lines().toList()).hasSize(1).first().asString().contains("--http-port");
    }

    @Test
    void theScriptSaysSoWhenThereIsNoJava() throws Exception {
        ProcessBuilder builder = new ProcessBuilder(home.resolve("bin/backplane").toString(), "--version");
        builder.environment().put("JAVA_HOME", "/nonexistent-jdk");
        Process script = builder.start();
        processes.add(script);
        assertThat(script.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(script.exitValue()).isEqualTo(1);
        assertThat(new String(script.getErrorStream().readAllBytes(), StandardCharsets.UTF_8)).contains("no java found");
    }

    private Process start(List<String> args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(home.resolve("bin/backplane").toString());
        command.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put("JAVA_OPTS", "-Xmx256m");
        Process process = builder.start();
        processes.add(process);
        return process;
    }

    private static int awaitReady(BufferedReader out) throws Exception {
        CompletableFuture<Integer> ready = CompletableFuture.supplyAsync(() -> {
            int port = -1;
            try {
                for (String line = out.readLine(); line != null; line = out.readLine()) {
                    if (line.startsWith("listening http=")) {
                        port = Integer.parseInt(line.substring("listening http=".length()).trim());
                    } else if (line.equals("ready")) {
                        return port;
                    }
                }
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
            throw new AssertionError("the node exited before printing ready");
        });
        int port = ready.get(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        assertThat(port).isPositive();
        return port;
    }
}
