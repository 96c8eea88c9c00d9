package io.backplane.node.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Generates docs/CONFIG.md, the configuration reference, from the code: every option of the picocli
 * model of {@link NodeCommand} (names, parameter, description with its default) and every key
 * {@link ConfigFile} accepts. {@code ConfigReferenceTest} regenerates it and fails when the checked-in
 * file differs, so the reference cannot drift from the flags and keys the node really takes.
 *
 * <p>Regenerate: {@code java -cp backplane-node/target/backplane-node.jar io.backplane.node.config.ConfigReference > docs/CONFIG.md}
 */
public final class ConfigReference {
    /**
     * The config file keys that are not flags, with what they mean. A key ConfigFile accepts without an
     * entry here (or a flag-less entry no longer accepted) makes {@link #markdown()} throw, so adding a
     * key means documenting it.
     */
    private static final Map<String, String> FILE_ONLY = new LinkedHashMap<>();
    private static final Map<String, String> LIMITS = new LinkedHashMap<>();
    private static final Map<String, String> RETENTION = new LinkedHashMap<>();

    static {
        FILE_ONLY.put("wan-peers", "a mapping of peer LAN name to a list of `HOST:PORT` WAN addresses; the file form of `--wan-peer`");
        FILE_ONLY.put("limits", "the bounds of the section below");
        FILE_ONLY.put("retention", "a list of retention rules (section below); default: newest 1,000,000 messages per topic, at most 7 days");
        FILE_ONLY.put("idempotency-retention", "how long an `Idempotency-Key` is remembered (duration; default 24h; at most the newest 100,000 keys per topic are kept)");

        Limits d = Limits.DEFAULTS;
        LIMITS.put("max-payload-bytes", "largest post body; `413 payload-too-large` beyond (default " + d.maxPayloadBytes() + ")");
        LIMITS.put("max-websocket-message-bytes", "largest websocket message, all frames together; close 1009 beyond (default: max-payload-bytes + 64 KiB)");
        LIMITS.put("max-subscriptions-per-connection", "subscriptions one websocket may hold (default " + d.maxSubscriptionsPerConnection() + ")");
        LIMITS.put("max-outbound-bytes-per-connection", "bytes queued to one websocket before it is a slow consumer (default " + d.maxOutboundBytesPerConnection() + ")");
        LIMITS.put("max-inflight-posts", "posts accepted and not yet durable; `429` with `Retry-After` beyond (default " + d.maxInflightPosts() + ")");
        LIMITS.put("max-history-limit", "largest `limit` or `last` of a REST history read (default " + d.maxHistoryLimit() + ")");
        LIMITS.put("max-replay-last", "largest `last` of a websocket replay (default " + d.maxReplayLast() + ")");

        RETENTION.put("prefix", "topic prefix the rule applies to, starting with `/`; the longest matching prefix wins");
        RETENTION.put("max-count", "keep at most this many newest messages per topic (0 or absent: no count limit)");
        RETENTION.put("max-age", "drop messages older than this duration, e.g. `7d` (absent: no age limit)");
        RETENTION.put("max-bytes", "keep at most this many bytes per topic, e.g. `10GiB` (absent: no size limit)");
    }

    private ConfigReference() {
    }

    public static void main(String[] args) {
        System.out.print(markdown());
    }

    /** The whole of docs/CONFIG.md. */
    public static String markdown() {
        CommandLine.Model.CommandSpec spec = new CommandLine(new NodeCommand()).getCommandSpec();
        StringBuilder md = new StringBuilder();
        md.append("# Configuration reference\n\n")
          .append("<!-- Generated from the code by io.backplane.node.config.ConfigReference; do not edit by hand.\n")
          .append("     Regenerate: java -cp backplane-node/target/backplane-node.jar io.backplane.node.config.ConfigReference > docs/CONFIG.md\n")
          .append("     ConfigReferenceTest fails when this file and the code differ. -->\n\n")
          .append("A node takes its settings from flags, from a YAML file given with `--config FILE`, and from\n")
          .append("built-in defaults, in that order of precedence: a flag wins over the file, the file over the\n")
          .append("default. File keys are the flag names without `--`; an unknown key is an error (exit 2), so a\n")
          .append("typo never falls back to a default silently. Sizes take `KiB`, `MiB`, `GiB`; durations `ms`,\n")
          .append("`s`, `m`, `h`, `d`. See docs/OPERATIONS.md for how to run a node and CONTRACT.md §2 for the\n")
          .append("flags' contract.\n\n");

        md.append("## Flags and top-level keys\n\n| flag | config file key | value | meaning |\n|---|---|---|---|\n");
        Set<String> fileKeys = new TreeSet<>(ConfigFile.TOP_LEVEL_KEYS);
        for (OptionSpec option : spec.options()) {
            String flag = option.longestName();
            String key = flag.startsWith("--") ? flag.substring(2) : flag;
            boolean inFile = fileKeys.remove(key);
            String names = String.join(", ", option.names());
            String label = option.paramLabel() == null || option.arity().max() == 0 ? "" : option.paramLabel();
            md.append("| `").append(names).append("` | ").append(inFile ? "`" + key + "`" : "—").append(" | ")
              .append(label.isEmpty() ? "" : "`" + escape(label) + "`").append(" | ")
              .append(escape(String.join(" ", option.description())))
              .append(option.isMultiValue() && !String.join(" ", option.description()).contains("repeatable") ? " (repeatable)" : "")
              .append(" |\n");
        }
        Set<String> undocumented = new TreeSet<>(fileKeys);
        undocumented.removeAll(FILE_ONLY.keySet());
        Set<String> stale = new TreeSet<>(FILE_ONLY.keySet());
        stale.removeAll(fileKeys);
        if (!undocumented.isEmpty() || !stale.isEmpty()) {
            throw new IllegalStateException("ConfigReference is out of step with ConfigFile: undocumented keys "
                    + undocumented + ", documented keys no longer accepted " + stale);
        }
        md.append("\n## Keys only in the config file\n\n| key | meaning |\n|---|---|\n");
        FILE_ONLY.forEach((k, v) -> md.append("| `").append(k).append("` | ").append(v).append(" |\n"));

        md.append("\n## `limits:`\n\n| key | meaning |\n|---|---|\n");
        section(md, LIMITS, ConfigFile.LIMIT_KEYS, "limits");
        md.append("\n## `retention:` (a list; each entry)\n\n| key | meaning |\n|---|---|\n");
        section(md, RETENTION, ConfigFile.RETENTION_KEYS, "retention");

        md.append("\n## Environment of `bin/backplane` and the systemd unit\n\n| variable | meaning |\n|---|---|\n")
          .append("| `JAVA_HOME` | the Java 17+ runtime to use (else `java` on `PATH`) |\n")
          .append("| `JAVA_OPTS` | JVM options (default `-Xms512m -Xmx2g -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError`) |\n")
          .append("| `BACKPLANE_OPTS` | node flags put before the command line's |\n")
          .append("| `BACKPLANE_LOG_LEVEL` | root log level (default `INFO`) |\n")
          .append("| `BACKPLANE_URL` | the node `bin/backplane checkpoint` and `bin/backplane drain` talk to (default `http://127.0.0.1:8080`) |\n");

        md.append("\n## Example\n\n```yaml\n")
          .append("lan: GENEVA\nnode-id: gva-1\ndata-dir: /var/lib/backplane\nbind: 10.0.0.11\nhttp-port: 8080\n")
          .append("cluster-port: 7400\nseeds: gva-1:7400,gva-2:7400,gva-3:7400\nwan-port: 7500\nwan-peers:\n")
          .append("  NEW-YORK: [ny-1:7500, ny-2:7500, ny-3:7500]\nlog-format: json\nidempotency-retention: 24h\n")
          .append("limits:\n  max-payload-bytes: 1MiB\n  max-outbound-bytes-per-connection: 16MiB\n")
          .append("retention:\n  - prefix: /\n    max-count: 1000000\n    max-age: 7d\n  - prefix: /GENEVA/TICKS\n    max-age: 1d\n```\n");
        return md.toString();
    }

    private static void section(StringBuilder md, Map<String, String> documented, Set<String> accepted, String name) {
        List<String> missing = new ArrayList<>();
        for (String key : new TreeSet<>(accepted)) {
            if (!documented.containsKey(key)) {
                missing.add(key);
            }
        }
        if (!missing.isEmpty() || !accepted.containsAll(documented.keySet())) {
            throw new IllegalStateException("ConfigReference is out of step with ConfigFile's " + name + " keys: "
                    + "undocumented " + missing + ", documented " + documented.keySet() + ", accepted " + accepted);
        }
        documented.forEach((k, v) -> md.append("| `").append(k).append("` | ").append(v).append(" |\n"));
    }

    private static String escape(String text) {
        return text.replace("|", "\\|");
    }
}
