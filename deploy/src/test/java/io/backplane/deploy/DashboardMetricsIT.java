package io.backplane.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/grafana/backplane.json queries only metrics a node really emits: a clustered node (seeded
 * with itself: a LAN of one, so the cluster meters exist) is started with the Kubernetes config of
 * deploy/k8s (which it must accept), takes a post, and every metric name in every panel's query must
 * be in its /metrics.
 */
class DashboardMetricsIT {
    private static final Path DEPLOY = Paths.get(System.getProperty("backplane.deploy.dir", ".")).toAbsolutePath().normalize();
    private static final Pattern METRIC = Pattern.compile("\\b((?:backplane|jvm|process|system)_[a-z0-9_]+)\\b");
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    @TempDir
    Path data;
    private Process node;

    @AfterEach
    void stop() throws InterruptedException {
        if (node != null) {
            node.destroy();
            node.waitFor(30, TimeUnit.SECONDS);
            node.destroyForcibly();
        }
    }

    @Test
    void everyMetricTheDashboardQueriesIsEmittedByANode() throws Exception {
        JsonNode dashboard = new ObjectMapper().readTree(DEPLOY.resolve("grafana/backplane.json").toFile());
        List<String> exprs = new ArrayList<>();
        Set<Integer> ids = new HashSet<>();
        for (JsonNode panel : dashboard.get("panels")) {
            assertThat(ids.add(panel.get("id").asInt())).as("panel ids are unique").isTrue();
            if (panel.get("type").asText().equals("row")) {
                continue;
            }
            assertThat(panel.at("/datasource/uid").asText()).as(panel.get("title").asText()).isEqualTo("${datasource}");
            assertThat(panel.get("targets")).as(panel.get("title").asText()).isNotEmpty();
            panel.get("targets").forEach(t -> exprs.add(t.get("expr").asText()));
        }
        Set<String> queried = new TreeSet<>();
        for (String expr : exprs) {
            Matcher m = METRIC.matcher(expr);
            while (m.find()) {
                queried.add(m.group(1));
            }
        }
        // what the issue asks the dashboard to show
        assertThat(queried).contains("backplane_posts_total", "backplane_deliveries_total",
                "backplane_post_to_delivery_seconds_bucket", "backplane_cluster_views_total", "backplane_cluster_view_id",
                "backplane_cluster_catchup_records_total", "backplane_slow_consumers_total", "backplane_rocksdb_write_seconds_bucket",
                "backplane_wan_spool_depth", "backplane_wan_spool_age_seconds", "backplane_wan_link_up");

        int http = freePort();
        int cluster = freePort();
        List<String> command = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx192m", "-jar", DEPLOY.resolve("../backplane-node/target/backplane-node.jar").normalize().toString(),
                "--config", DEPLOY.resolve("k8s/base/backplane.yaml").toString(),
                "--data-dir", data.toString(), "--bind", "127.0.0.1", "--node-id", "dash-1",
                "--http-port", Integer.toString(http), "--cluster-port", Integer.toString(cluster), "--wan-port", "0",
                // a peer LAN (never reachable) so the per-peer WAN link and spool metrics exist
                "--wan-peer", "DASH-PEER=127.0.0.1:9",
                "--seeds", "127.0.0.1:" + cluster));
        node = new ProcessBuilder(command).redirectErrorStream(true).start();
        awaitReady(node);
        String base = "http://127.0.0.1:" + http;
        HttpResponse<String> posted = this.http.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/topics/DASH/T"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"x\":1}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(posted.statusCode()).as(posted.body()).isEqualTo(201);
        String scrape = this.http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        Set<String> emitted = new TreeSet<>();
        scrape.lines().filter(l -> !l.startsWith("#") && !l.isBlank())
                .forEach(l -> emitted.add(l.split("[{ ]", 2)[0]));
        assertThat(emitted).as("metrics the dashboard queries that the node does not emit").containsAll(queried);
    }

    private static void awaitReady(Process p) throws Exception {
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        List<String> seen = new ArrayList<>();
        CompletableFuture<Void> ready = CompletableFuture.runAsync(() -> {
            try {
                for (String line = out.readLine(); line != null; line = out.readLine()) {
                    seen.add(line);
                    if (line.equals("ready")) {
                        return;
                    }
                }
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
            throw new AssertionError("the node exited before ready: " + seen);
        });
        ready.get(60, TimeUnit.SECONDS);
        CompletableFuture.runAsync(() -> out.lines().forEach(l -> { })); // keep reading its log
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
