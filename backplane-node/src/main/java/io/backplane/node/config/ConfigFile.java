package io.backplane.node.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The YAML config file: the same settings as the flags (kebab-case keys, e.g. {@code http-port}),
 * plus {@code limits} and {@code retention} sections. Unknown keys are errors, so a typo never
 * silently falls back to a default.
 */
public final class ConfigFile {
    static final Set<String> TOP_LEVEL_KEYS = Set.of("node-id", "lan", "data-dir", "bind", "http-port",
            "cluster-port", "seeds", "wan-port", "wan-peers", "wan-spool-max-bytes", "wan-spool-max-age", "limits", "retention",
            "idempotency-retention", "log-format");
    static final Set<String> LIMIT_KEYS = Set.of("max-payload-bytes", "max-websocket-message-bytes",
            "max-subscriptions-per-connection", "max-outbound-bytes-per-connection", "max-inflight-posts",
            "max-history-limit", "max-replay-last");
    static final Set<String> RETENTION_KEYS = Set.of("prefix", "max-count", "max-age", "max-bytes");

    private final Path path;
    private final Map<String, Object> values;

    private ConfigFile(Path path, Map<String, Object> values) {
        this.path = path;
        this.values = values;
    }

    public static ConfigFile empty() {
        return new ConfigFile(null, Map.of());
    }

    @SuppressWarnings("unchecked")
    public static ConfigFile load(Path path) {
        if (!Files.isRegularFile(path)) {
            throw new ConfigException("config file " + path + " does not exist or is not a file");
        }
        Object parsed;
        try {
            parsed = new ObjectMapper(new YAMLFactory()).readValue(path.toFile(), Object.class);
        } catch (JsonProcessingException e) {
            throw new ConfigException("config file " + path + " is not valid YAML: " + e.getOriginalMessage()
                    .lines().findFirst().orElse("parse error"));
        } catch (IOException e) {
            throw new ConfigException("config file " + path + " cannot be read: " + e.getMessage());
        }
        if (parsed == null) {
            return new ConfigFile(path, Map.of());
        }
        if (!(parsed instanceof Map)) {
            throw new ConfigException("config file " + path + " must be a YAML mapping of settings");
        }
        Map<String, Object> map = new LinkedHashMap<>((Map<String, Object>) parsed);
        ConfigFile file = new ConfigFile(path, map);
        file.checkKeys(map, TOP_LEVEL_KEYS, "");
        return file;
    }

    String where(String key) {
        return "config file " + path + ": setting '" + key + "'";
    }

    void checkKeys(Map<String, Object> map, Set<String> allowed, String prefix) {
        for (String key : map.keySet()) {
            if (!allowed.contains(key)) {
                throw new ConfigException("config file " + path + ": unknown setting '" + prefix + key + "'");
            }
        }
    }

    boolean has(String key) {
        return values.containsKey(key) && values.get(key) != null;
    }

    String string(String key) {
        Object v = values.get(key);
        if (v == null) {
            return null;
        }
        if (v instanceof Map || v instanceof List) {
            throw new ConfigException(where(key) + " must be a single value");
        }
        return v.toString();
    }

    Integer integer(String key) {
        String s = string(key);
        if (s == null) {
            return null;
        }
        try {
            return Integer.parseInt(s.trim());
        } catch (NumberFormatException e) {
            throw new ConfigException(where(key) + " must be an integer, was '" + s + "'");
        }
    }

    Object raw(String key) {
        return values.get(key);
    }
}
