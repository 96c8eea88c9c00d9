package io.backplane.node.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.backplane.node.BackplaneNode;
import io.backplane.node.config.NodeCommand;
import io.backplane.node.support.TestNode;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Backup and restore in a three-node LAN (docs/OPERATIONS.md "Backup and restore"): a checkpoint taken
 * from a node while posts keep arriving holds a prefix of the LAN's history and every post that node
 * acknowledged before the call; a replacement node started from a copy of it (and nothing else of the
 * lost node) joins and fetches by state transfer exactly the suffix written after the checkpoint.
 */
class BackupRestoreTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> TOPICS = List.of("/BACKUP/T0", "/BACKUP/T1", "/BACKUP/T2");
    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();
    private final List<Path> dirs = new ArrayList<>();
    private final BackplaneNode[] nodes = new BackplaneNode[3];
    private final int[] clusterPorts = new int[3];
    private String seeds;

    @AfterEach
    void stop() {
        for (BackplaneNode n : nodes) {
            if (n != null) {
                n.close();
            }
        }
        dirs.forEach(TestNode::deleteRecursively);
    }

    @Test
    void aReplacementNodeRestoredFromAnOnlineCheckpointCatchesUpOnlyWhatCameAfterIt() throws Exception {
        startThree();
        for (int k = 0; k < 300; k++) {
            post(k % 3, TOPICS.get(k % TOPICS.size()), "before-" + k);
        }

        // Posts keep arriving at every node while n1 checkpoints; n1's own acknowledgements are recorded
        // with the time they came back.
        Map<String, Long> ackedByN1At = new ConcurrentHashMap<>();
        AtomicBoolean posting = new AtomicBoolean(true);
        CompletableFuture<Integer> background = CompletableFuture.supplyAsync(() -> {
            int k = 0;
            while (posting.get()) {
                String key = "during-" + k;
                try {
                    post(k % 3, TOPICS.get(k % TOPICS.size()), key);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                if (k % 3 == 0) {
                    ackedByN1At.put(key, System.nanoTime());
                }
                k++;
            }
            return k;
        });
        await().atMost(Duration.ofSeconds(20)).until(() -> ackedByN1At.size() >= 30);
        long callStart = System.nanoTime();
        HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create(base(0) + "/api/v1/admin/checkpoint"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"nightly\"}"))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(201);
        Path checkpoint = Path.of(JSON.readTree(answer.body()).get("path").asText());
        await().atMost(Duration.ofSeconds(20)).until(() -> ackedByN1At.size() >= 60);
        posting.set(false);
        int during = background.get();
        for (int k = 0; k < 150; k++) {
            post(k % 2, TOPICS.get(k % TOPICS.size()), "after-" + k);
        }

        // n3's machine is lost; a new one gets a copy of n1's checkpoint as its history, nothing else.
        nodes[2].close();
        nodes[2] = null;
        Path fresh = Files.createTempDirectory("bp-backup-n3-restored-");
        dirs.add(fresh);
        copyTree(checkpoint, fresh.resolve("history"));
        Map<String, Map<Long, String>> inCheckpoint = readStore(fresh.resolve("history"));

        // The checkpoint is consistent: each topic's history there is a gapless prefix of the LAN's,
        // with the same ids, and holds every post n1 acknowledged before the call.
        Map<String, Map<Long, String>> lan = new LinkedHashMap<>();
        for (String topic : TOPICS) {
            lan.put(topic, history(0, topic));
            Map<Long, String> prefix = inCheckpoint.get(topic);
            assertThat(prefix.keySet()).containsExactlyElementsOf(seqs(1, prefix.size()));
            prefix.forEach((seq, id) -> assertThat(lan.get(topic).get(seq)).as(topic + "#" + seq).isEqualTo(id));
        }
        List<String> keysInCheckpoint = keysIn(fresh.resolve("history"));
        ackedByN1At.forEach((key, at) -> {
            if (at < callStart) {
                assertThat(keysInCheckpoint).as("acknowledged by n1 before the checkpoint call").contains(key);
            }
        });
        long total = lan.values().stream().mapToLong(Map::size).sum();
        long restored = inCheckpoint.values().stream().mapToLong(Map::size).sum();
        assertThat(total).isEqualTo(300 + during + 150);
        assertThat(restored).isGreaterThanOrEqualTo(300 + 30).isLessThan(total);

        nodes[2] = start(2, fresh);
        await().atMost(Duration.ofSeconds(60)).until(() -> nodes[2].isReady());
        for (String topic : TOPICS) {
            await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> history(2, topic).equals(lan.get(topic)));
        }
        assertThat(catchUpRecords(2)).as("records fetched by state transfer").isEqualTo((double) (total - restored));
        // and it serves as a full member
        post(2, TOPICS.get(0), "restored-node-takes-posts");
    }

    @Test
    void aWholeLanRestoredFromOneCheckpointOnAMajorityContinuesFromIt() throws Exception {
        startThree();
        for (int k = 0; k < 120; k++) {
            post(k % 3, TOPICS.get(k % TOPICS.size()), "kept-" + k);
        }
        HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create(base(1) + "/api/v1/admin/checkpoint"))
                .POST(HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(201);
        Path checkpoint = Path.of(JSON.readTree(answer.body()).get("path").asText());
        Path saved = Files.createTempDirectory("bp-backup-saved-");
        dirs.add(saved);
        copyTree(checkpoint, saved.resolve("cp"));
        for (int k = 0; k < 30; k++) {
            post(k % 3, TOPICS.get(k % TOPICS.size()), "lost-" + k); // after the backup: lost with the disks
        }
        Map<String, Map<Long, String>> inCheckpoint = readStore(saved.resolve("cp"));

        // every disk is lost; two nodes get the checkpoint, the third starts empty
        for (int i = 0; i < 3; i++) {
            nodes[i].close();
            nodes[i] = null;
        }
        List<Path> fresh = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Path dir = Files.createTempDirectory("bp-backup-lan-n" + (i + 1) + "-");
            dirs.add(dir);
            fresh.add(dir);
            if (i < 2) {
                copyTree(saved.resolve("cp"), dir.resolve("history"));
            }
        }
        List<CompletableFuture<BackplaneNode>> starting = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            int n = i;
            starting.add(CompletableFuture.supplyAsync(() -> start(n, fresh.get(n))));
        }
        for (int i = 0; i < 3; i++) {
            nodes[i] = starting.get(i).get();
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> nodes[0].isReady() && nodes[1].isReady() && nodes[2].isReady());
        for (int i = 0; i < 3; i++) {
            for (String topic : TOPICS) {
                int node = i;
                await().atMost(Duration.ofSeconds(20)).ignoreExceptions()
                        .until(() -> history(node, topic).equals(inCheckpoint.get(topic)));
            }
        }
        post(0, TOPICS.get(0), "after-restore");
        assertThat(history(2, TOPICS.get(0))).hasSize(inCheckpoint.get(TOPICS.get(0)).size() + 1);
    }

    private void startThree() throws Exception {
        for (int i = 0; i < 3; i++) {
            clusterPorts[i] = freePort();
            dirs.add(Files.createTempDirectory("bp-backup-n" + (i + 1) + "-"));
        }
        seeds = "127.0.0.1:" + clusterPorts[0] + ",127.0.0.1:" + clusterPorts[1] + ",127.0.0.1:" + clusterPorts[2];
        List<CompletableFuture<BackplaneNode>> starting = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            int n = i;
            starting.add(CompletableFuture.supplyAsync(() -> start(n, dirs.get(n))));
        }
        for (int i = 0; i < 3; i++) {
            nodes[i] = starting.get(i).get();
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> nodes[0].isReady() && nodes[1].isReady() && nodes[2].isReady());
    }

    private BackplaneNode start(int i, Path dir) {
        List<String> args = List.of("--data-dir", dir.toString(), "--http-port", "0",
                "--cluster-port", Integer.toString(clusterPorts[i]), "--node-id", "n" + (i + 1), "--seeds", seeds);
        NodeCommand command = new NodeCommand();
        new CommandLine(command).parseArgs(args.toArray(String[]::new));
        return BackplaneNode.start(command.resolve("testhost"));
    }

    /** Posts with a key, retrying 503/429 with the same key as a client would, until 200 or 201. */
    private void post(int node, String topic, String key) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(base(node) + "/api/v1/topics" + topic))
                .header("Content-Type", "application/json").header("Idempotency-Key", key)
                .timeout(Duration.ofSeconds(15)).POST(HttpRequest.BodyPublishers.ofString("{\"key\":\"" + key + "\"}")).build();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
        while ((r.statusCode() == 503 || r.statusCode() == 429) && System.nanoTime() < deadline) {
            Thread.sleep(100);
            r = http.send(req, HttpResponse.BodyHandlers.ofString());
        }
        assertThat(r.statusCode()).as(r.body()).isIn(200, 201);
    }

    private Map<Long, String> history(int node, String topic) throws Exception {
        Map<Long, String> out = new LinkedHashMap<>();
        long from = 1;
        while (true) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base(node) + "/api/v1/topics" + topic
                    + "/messages?fromSeq=" + from + "&limit=10000")).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            JsonNode page = JSON.readTree(r.body());
            if (page.get("messages").isEmpty()) {
                return out;
            }
            for (JsonNode m : page.get("messages")) {
                out.put(m.get("seq").asLong(), m.get("id").asText());
            }
            from = page.get("nextSeq").asLong();
        }
    }

    private static Map<String, Map<Long, String>> readStore(Path dir) throws Exception {
        Map<String, Map<Long, String>> out = new LinkedHashMap<>();
        try (io.backplane.history.HistoryStore store = io.backplane.history.RocksHistoryStore.open(
                io.backplane.history.HistoryStoreConfig.defaults(dir))) {
            for (String topic : TOPICS) {
                Map<Long, String> h = new LinkedHashMap<>();
                for (io.backplane.history.HistoryRecord r : store.readFrom(topic, 1, 100_000)) {
                    h.put(r.seq(), JSON.readTree(r.body()).get("id").asText());
                }
                out.put(topic, h);
            }
        }
        return out;
    }

    private static List<String> keysIn(Path dir) throws Exception {
        List<String> keys = new ArrayList<>();
        try (io.backplane.history.HistoryStore store = io.backplane.history.RocksHistoryStore.open(
                io.backplane.history.HistoryStoreConfig.defaults(dir))) {
            for (String topic : TOPICS) {
                for (io.backplane.history.HistoryRecord r : store.readFrom(topic, 1, 100_000)) {
                    keys.add(JSON.readTree(r.body()).at("/payload/key").asText());
                }
            }
        }
        return keys;
    }

    private double catchUpRecords(int node) throws Exception {
        String text = http.send(HttpRequest.newBuilder(URI.create(base(node) + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        return text.lines().filter(l -> l.startsWith("backplane_cluster_catchup_records_total"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path p : paths.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }

    private static List<Long> seqs(long from, long to) {
        List<Long> out = new ArrayList<>();
        for (long s = from; s <= to; s++) {
            out.add(s);
        }
        return out;
    }

    private String base(int node) {
        return "http://127.0.0.1:" + nodes[node].httpPort();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
