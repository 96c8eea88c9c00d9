package io.backplane.systest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The few REST calls the harness makes besides posts (CONTRACT.md §4), with short timeouts. */
public final class NodeApi {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(1);
    /** Largest page of a history read (the contract's maximum {@code limit}). */
    static final int HISTORY_PAGE_MAX = 10_000;
    static final Duration HISTORY_UNAVAILABLE_TIMEOUT = Duration.ofSeconds(30);

    /** A node's answer to {@code GET /api/v1/cluster}. */
    public record View(String node, long id, List<String> members, String coordinator) {
        public String describe() {
            return node + ": view " + id + " " + members + " coordinator " + coordinator;
        }
    }

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(CONNECT_TIMEOUT).build();

    private HttpResponse<String> get(URI uri, Duration timeout) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(uri).timeout(timeout).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The node's view, or empty when it does not answer 200 within the timeout. */
    public Optional<View> view(NodeProcess node, Duration timeout) throws InterruptedException {
        try {
            HttpResponse<String> r = get(node.httpUri().resolve("/api/v1/cluster"), timeout);
            if (r.statusCode() != 200) {
                return Optional.empty();
            }
            JsonNode body = JSON.readTree(r.body());
            JsonNode view = body.path("view");
            List<String> members = new ArrayList<>();
            view.path("members").forEach(m -> members.add(m.asText()));
            return Optional.of(new View(body.path("node").asText(node.id()), view.path("id").asLong(-1), members,
                    view.path("coordinator").asText(null)));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** {@code POST /api/v1/admin/drain}: the status code (202 when the node starts draining), or -1 for no answer. */
    public int drain(NodeProcess node) throws InterruptedException {
        try {
            return http.send(HttpRequest.newBuilder(node.httpUri().resolve("/api/v1/admin/drain")).timeout(Duration.ofSeconds(5))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString()).statusCode();
        } catch (IOException e) {
            return -1;
        }
    }

    /** {@code GET /health}: true for 200. */
    public boolean healthy(URI base, Duration timeout) throws InterruptedException {
        try {
            return get(base.resolve("/health"), timeout).statusCode() == 200;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * A topic's whole history on one node, paged by {@code nextSeq}; empty for 404 (no history there).
     * A node that is not serving yet (503, e.g. still catching up after a view change) is asked again
     * until {@link #HISTORY_UNAVAILABLE_TIMEOUT}.
     */
    public List<Checker.HistoryEntry> history(NodeProcess node, String topic) throws IOException, InterruptedException {
        List<Checker.HistoryEntry> entries = new ArrayList<>();
        long from = 1;
        long unavailableDeadline = System.nanoTime() + HISTORY_UNAVAILABLE_TIMEOUT.toNanos();
        while (true) {
            URI uri = node.httpUri().resolve("/api/v1/topics" + encodePath(topic) + "/messages?fromSeq=" + from + "&limit=" + HISTORY_PAGE_MAX);
            HttpResponse<String> r = get(uri, Duration.ofSeconds(30));
            if (r.statusCode() == 404) {
                return entries;
            }
            if (r.statusCode() == 503 && System.nanoTime() < unavailableDeadline) {
                Thread.sleep(200);
                continue;
            }
            if (r.statusCode() != 200) {
                throw new IOException(node.id() + " answered " + r.statusCode() + " to " + uri + ": " + r.body());
            }
            JsonNode body = JSON.readTree(r.body());
            JsonNode messages = body.path("messages");
            if (messages.isEmpty()) {
                return entries;
            }
            for (JsonNode m : messages) {
                entries.add(new Checker.HistoryEntry(m.path("seq").asLong(), m.path("id").asText(),
                        m.path("payload").path("key").asText(null)));
            }
            long next = body.path("nextSeq").asLong(entries.get(entries.size() - 1).seq() + 1);
            if (next <= from) {
                throw new IOException(node.id() + " answered nextSeq " + next + " to fromSeq " + from + " on " + topic);
            }
            from = next;
        }
    }

    /** "/A/B" → "/A/B" with each segment URL-encoded (segments are plain already; this keeps it safe). */
    static String encodePath(String topic) {
        StringBuilder path = new StringBuilder();
        for (String segment : topic.substring(1).split("/")) {
            path.append('/').append(URLEncoder.encode(segment, StandardCharsets.UTF_8));
        }
        return path.toString();
    }
}
