package io.backplane.client.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The packaged bench jar, run as a user would (CONTRACT.md §8) for a few seconds against a real node:
 * its last stdout line is the JSON result, with deliveries and no gap or duplicate.
 */
class BenchIT {
    @Test
    void benchJarPrintsTheResultLineWithNoGapsOrDuplicates() throws Exception {
        Path benchJar = Paths.get(System.getProperty("backplane.bench.jar", "target/backplane-bench.jar"));
        assertThat(benchJar).as("the bench jar, built by package").isRegularFile();
        try (io.backplane.client.NodeProcessAccess node = io.backplane.client.NodeProcessAccess.start("bench")) {
            for (String transport : List.of("ws", "rest")) {
                Process bench = new ProcessBuilder(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                        "-Xmx256m", "-jar", benchJar.toAbsolutePath().toString(),
                        "--url", node.uri().toString(), "--publishers", "2", "--subscribers", "2", "--topics", "2",
                        "--rate", transport.equals("ws") ? "0" : "500", "--size", "128",
                        "--duration", "3", "--warmup", "1", "--transport", transport).start();
                CompletableFuture<String> stdout = read(bench.getInputStream());
                CompletableFuture<String> stderr = read(bench.getErrorStream());
                assertThat(bench.waitFor(60, TimeUnit.SECONDS)).as("bench finished").isTrue();
                assertThat(bench.exitValue()).as(stderr.get()).isZero();
                String[] lines = stdout.get().trim().split("\n");
                JsonNode result = new ObjectMapper().readTree(lines[lines.length - 1]);

                assertThat(result.get("published").asLong()).as(transport).isPositive();
                assertThat(result.get("delivered").asLong()).as(transport).isPositive();
                assertThat(result.get("delivered").asLong()).as("each subscriber gets every post")
                        .isEqualTo(2 * result.get("published").asLong());
                assertThat(result.get("gaps").asLong()).isZero();
                assertThat(result.get("undelivered").asLong()).isZero();
                assertThat(result.get("duplicates").asLong()).isZero();
                assertThat(result.get("errors").asLong()).isZero();
                assertThat(result.has("publishedPerSec")).isTrue();
                assertThat(result.has("deliveredPerSec")).isTrue();
                JsonNode latency = result.get("latencyMicros");
                assertThat(latency.get("p50").asLong()).isPositive();
                assertThat(latency.get("p99").asLong()).isGreaterThanOrEqualTo(latency.get("p50").asLong());
                assertThat(latency.get("p999").asLong()).isGreaterThanOrEqualTo(latency.get("p99").asLong());
                assertThat(latency.get("max").asLong()).isGreaterThanOrEqualTo(latency.get("p999").asLong());
                assertThat(stderr.get()).as("progress once a second").contains("[  1s]", "[  2s]");
            }
        }
    }

    private static CompletableFuture<String> read(InputStream in) {
        return CompletableFuture.supplyAsync(() -> {
            try (in) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "";
            }
        });
    }
}
