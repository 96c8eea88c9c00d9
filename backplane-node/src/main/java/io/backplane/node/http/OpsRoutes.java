package io.backplane.node.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.backplane.history.HistoryStore;
import io.backplane.history.HistoryStoreException;
import io.backplane.history.TopicInfo;
import io.backplane.node.BuildInfo;
import io.backplane.node.topic.TopicService;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Operations endpoints (docs/API.md "Operations"): {@code GET /api/v1/version},
 * {@code POST /api/v1/admin/checkpoint} and {@code POST /api/v1/admin/drain}, and the gate that
 * refuses new work while the node drains. Admin calls need no credentials yet: tokens with
 * {@code admin: true} (CONTRACT.md §10) arrive with issue 9; until then keep the HTTP port on a
 * trusted network, as for the rest of the API.
 */
public final class OpsRoutes {
    static final String CHECKPOINTS = "checkpoints";
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS'Z'").withZone(ZoneOffset.UTC);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** What a draining node still answers: how it is, what it is, and its peers' state transfers. */
    private static final Set<String> OPEN_WHILE_DRAINING = Set.of("/metrics", "/api/v1/cluster", "/api/v1/version",
            "/internal/v1/transfer", "/api/v1/admin/drain");

    private final Vertx vertx;
    private final String nodeId;
    private final String lan;
    private final Path dataDir;
    private final HistoryStore store;
    private final TopicService topics;
    private final Drain drain;

    public OpsRoutes(Vertx vertx, String nodeId, String lan, Path dataDir, HistoryStore store, TopicService topics, Drain drain) {
        this.vertx = vertx;
        this.nodeId = nodeId;
        this.lan = lan;
        this.dataDir = dataDir;
        this.store = store;
        this.topics = topics;
        this.drain = drain;
    }

    Drain drain() {
        return drain;
    }

    /** Mounts the gate first (so it sees every request) and the endpoints. */
    void mount(Router router) {
        router.route().handler(this::gate);
        router.get("/api/v1/version").handler(ctx -> HttpApi.json(ctx.response(), 200, BuildInfo.current().json()));
        router.post("/api/v1/admin/checkpoint").handler(BodyHandler.create(false).setBodyLimit(4096)).handler(this::checkpoint);
        router.post("/api/v1/admin/drain").handler(this::drain);
    }

    private void gate(RoutingContext ctx) {
        if (!drain.draining() || OPEN_WHILE_DRAINING.contains(ctx.request().path())) {
            ctx.next();
        } else if (ctx.request().path().equals("/health")) {
            HttpApi.json(ctx.response(), 503, "{\"status\":\"DOWN\",\"reason\":\"draining\"}");
        } else {
            HttpApi.error(ctx.response(), 503, "unavailable", Drain.REASON + "; use another node of the LAN");
        }
    }

    private void drain(RoutingContext ctx) {
        boolean started = drain.start();
        HttpApi.json(ctx.response(), 202, "{\"node\":\"" + nodeId + "\",\"status\":\"draining\",\"started\":" + started + "}");
    }

    /**
     * {@code POST /api/v1/admin/checkpoint} with an optional body {@code {"name":"N"}}: a consistent
     * RocksDB checkpoint of this node's histories in {@code DATA_DIR/checkpoints/N} (default name: the
     * UTC time), on a worker thread. The directory is on the data directory's file system, so SST files
     * are hard links; copy it elsewhere to keep it.
     */
    private void checkpoint(RoutingContext ctx) {
        String name;
        try {
            name = checkpointName(ctx.body().buffer());
        } catch (IllegalArgumentException e) {
            HttpApi.error(ctx.response(), 400, "bad-request", e.getMessage());
            return;
        }
        String reason = topics.unavailableReason();
        if (reason != null) {
            // a node catching up or cut off holds a history the LAN may still replace
            HttpApi.error(ctx.response(), 503, "unavailable", reason);
            return;
        }
        Path target = dataDir.resolve(CHECKPOINTS).resolve(name).toAbsolutePath().normalize();
        vertx.executeBlocking(() -> {
            if (Files.exists(target)) {
                throw new IllegalArgumentException("checkpoint " + name + " already exists at " + target);
            }
            Files.createDirectories(target.getParent());
            long start = System.nanoTime();
            store.checkpoint(target);
            long millis = (System.nanoTime() - start) / 1_000_000;
            List<TopicInfo> infos = store.topics("/");
            long messages = infos.stream().mapToLong(TopicInfo::count).sum();
            return "{\"node\":\"" + nodeId + "\",\"lan\":\"" + lan + "\",\"checkpoint\":\"" + name + "\",\"path\":"
                    + quote(target.toString()) + ",\"createdAt\":\"" + Instant.now() + "\",\"topics\":" + infos.size()
                    + ",\"messages\":" + messages + ",\"millis\":" + millis + "}";
        }, false).onComplete(ar -> {
            if (ar.succeeded()) {
                HttpApi.json(ctx.response(), 201, ar.result());
            } else if (ar.cause() instanceof IllegalArgumentException e) {
                HttpApi.error(ctx.response(), 400, "bad-request", e.getMessage());
            } else if (ar.cause() instanceof IOException || ar.cause() instanceof HistoryStoreException) {
                HttpApi.error(ctx.response(), 503, "unavailable", "checkpoint failed: " + ar.cause().getMessage());
            } else {
                HttpApi.ApiError.of(ar.cause()).send(ctx.response());
            }
        });
    }

    static String checkpointName(Buffer body) {
        if (body == null || body.length() == 0) {
            return "checkpoint-" + STAMP.format(Instant.now());
        }
        JsonNode json;
        try {
            json = JSON.readTree(body.getBytes());
        } catch (IOException e) {
            throw new IllegalArgumentException("the body must be a JSON object such as {\"name\":\"before-upgrade\"}");
        }
        if (json == null || !json.isObject()) {
            throw new IllegalArgumentException("the body must be a JSON object such as {\"name\":\"before-upgrade\"}");
        }
        JsonNode name = json.get("name");
        if (name == null || name.isNull()) {
            return "checkpoint-" + STAMP.format(Instant.now());
        }
        if (!name.isTextual() || !NAME.matcher(name.asText()).matches() || name.asText().startsWith(".")) {
            throw new IllegalArgumentException("name must match [A-Za-z0-9._-]{1,64} and not start with '.'");
        }
        return name.asText();
    }

    private static String quote(String s) {
        return new String(io.backplane.node.topic.Payload.jsonString(s), java.nio.charset.StandardCharsets.UTF_8);
    }
}
