package io.backplane.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * deploy/k8s, parsed and held to the invariants the LAN needs (issue 10): the pods' ports are the
 * node's configured ports, readiness is /health, the seeds are the other pods' stable names under the
 * headless Service, data is on a PersistentVolumeClaim at the configured data directory, one pod at
 * most may be disrupted, and the overlay is a second LAN that names the first as its WAN peer (and the
 * first names it). Kustomize itself is not needed: the test applies the two transformations the
 * overlay uses (namespace, a replaced configMapGenerator).
 */
class K8sManifestsTest {
    private static final Path K8S = Paths.get(System.getProperty("backplane.deploy.dir", ".")).toAbsolutePath()
            .normalize().resolve("k8s");
    private static final ObjectMapper YAML = new YAMLMapper();
    private static final Pattern XMX = Pattern.compile("-Xmx(\\d+)([mMgG])");

    private static Map<String, JsonNode> base; // "Kind/name" -> manifest
    private static JsonNode baseKustomization;
    private static JsonNode overlayKustomization;
    private static JsonNode baseConfig;
    private static JsonNode overlayConfig;

    @BeforeAll
    static void parse() throws IOException {
        baseKustomization = YAML.readTree(K8S.resolve("base/kustomization.yaml").toFile());
        overlayKustomization = YAML.readTree(K8S.resolve("overlays/new-york/kustomization.yaml").toFile());
        base = new LinkedHashMap<>();
        for (JsonNode resource : baseKustomization.get("resources")) {
            for (JsonNode doc : readAll(K8S.resolve("base").resolve(resource.asText()))) {
                assertThat(doc.path("apiVersion").asText()).as(resource + ": apiVersion").isNotEmpty();
                String key = doc.path("kind").asText() + "/" + doc.at("/metadata/name").asText();
                assertThat(base.put(key, doc)).as("duplicate " + key).isNull();
            }
        }
        baseConfig = YAML.readTree(K8S.resolve("base").resolve(generatorFile(baseKustomization)).toFile());
        overlayConfig = YAML.readTree(K8S.resolve("overlays/new-york").resolve(generatorFile(overlayKustomization)).toFile());
    }

    @Test
    void everyYamlFileParsesAndEveryManifestIsAResourceOfTheBase() throws IOException {
        Set<String> listed = new TreeSet<>();
        baseKustomization.get("resources").forEach(r -> listed.add(r.asText()));
        Set<String> configFiles = Set.of(generatorFile(baseKustomization));
        try (Stream<Path> files = Files.list(K8S.resolve("base"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).toList()) {
                assertThat(readAll(f)).as(f + " parses").isNotEmpty();
                String name = f.getFileName().toString();
                if (!name.equals("kustomization.yaml") && !configFiles.contains(name)) {
                    assertThat(listed).as(name + " is listed in base/kustomization.yaml").contains(name);
                }
            }
        }
        assertThat(base.keySet()).contains("StatefulSet/backplane", "Service/backplane-peers", "Service/backplane",
                "PodDisruptionBudget/backplane", "Secret/backplane-secrets");
    }

    @Test
    void threeReplicasStartTogetherAndRollOneAtATime() {
        JsonNode set = statefulSet();
        assertThat(set.at("/spec/replicas").asInt()).isEqualTo(3);
        assertThat(set.at("/spec/podManagementPolicy").asText()).as("ordered start-up would wait for a lone node to be ready").isEqualTo("Parallel");
        assertThat(set.at("/spec/updateStrategy/type").asText()).isEqualTo("RollingUpdate");
        assertThat(labels(set.at("/spec/template/metadata/labels"))).containsAllEntriesOf(labels(set.at("/spec/selector/matchLabels")));
    }

    @Test
    void containerPortsAreTheNodesConfiguredPortsAndTheServicesPointAtThem() {
        Map<String, Integer> ports = containerPorts();
        assertThat(ports).containsEntry("http", baseConfig.get("http-port").asInt())
                .containsEntry("cluster", baseConfig.get("cluster-port").asInt())
                .containsEntry("wan", baseConfig.get("wan-port").asInt());
        for (String name : List.of("backplane-peers", "backplane")) {
            JsonNode service = base.get("Service/" + name);
            assertThat(labels(statefulSet().at("/spec/template/metadata/labels"))).containsAllEntriesOf(labels(service.at("/spec/selector")));
            for (JsonNode p : service.at("/spec/ports")) {
                assertThat(ports).as(name + " targets a named container port").containsKey(p.get("targetPort").asText());
                assertThat(p.get("port").asInt()).as(name + " " + p.get("name")).isEqualTo(ports.get(p.get("targetPort").asText()));
            }
        }
        JsonNode headless = base.get("Service/backplane-peers");
        assertThat(headless.at("/spec/clusterIP").asText()).isEqualTo("None");
        assertThat(headless.at("/spec/publishNotReadyAddresses").asBoolean())
                .as("nodes must resolve each other before any is ready").isTrue();
        assertThat(statefulSet().at("/spec/serviceName").asText()).isEqualTo("backplane-peers");
    }

    @Test
    void readinessIsHealthAndLivenessIsAnEndpointThatStaysUpOutsideThePrimaryView() {
        JsonNode c = container();
        assertThat(c.at("/readinessProbe/httpGet/path").asText()).isEqualTo("/health");
        assertThat(c.at("/readinessProbe/httpGet/port").asText()).isEqualTo("http");
        assertThat(c.at("/livenessProbe/httpGet/port").asText()).isEqualTo("http");
        assertThat(c.at("/livenessProbe/httpGet/path").asText()).isEqualTo("/api/v1/version");
        assertThat(c.at("/livenessProbe/failureThreshold").asInt() * c.at("/livenessProbe/periodSeconds").asInt())
                .as("liveness tolerates a slow start or a long GC").isGreaterThanOrEqualTo(30);
        assertThat(c.at("/lifecycle/preStop/exec/command").toString()).contains("backplane drain");
        assertThat(statefulSet().at("/spec/template/spec/terminationGracePeriodSeconds").asInt()).isGreaterThanOrEqualTo(30);
    }

    @Test
    void thePodDisruptionBudgetAllowsOneNodeDown() {
        JsonNode pdb = base.get("PodDisruptionBudget/backplane");
        assertThat(pdb.at("/spec/maxUnavailable").asInt()).isEqualTo(1);
        assertThat(pdb.has("minAvailable")).isFalse();
        assertThat(labels(statefulSet().at("/spec/template/metadata/labels"))).containsAllEntriesOf(labels(pdb.at("/spec/selector/matchLabels")));
    }

    @Test
    void dataConfigAndSecretsAreMountedWhereTheNodeLooks() {
        JsonNode set = statefulSet();
        Map<String, String> mounts = new HashMap<>();
        container().get("volumeMounts").forEach(m -> mounts.put(m.get("name").asText(), m.get("mountPath").asText()));
        // data: a PersistentVolumeClaim per pod, at the configured data directory
        assertThat(set.at("/spec/volumeClaimTemplates/0/metadata/name").asText()).isEqualTo("data");
        assertThat(set.at("/spec/volumeClaimTemplates/0/spec/accessModes/0").asText()).isEqualTo("ReadWriteOnce");
        assertThat(mounts.get("data")).isEqualTo(baseConfig.get("data-dir").asText());
        Map<String, JsonNode> volumes = new HashMap<>();
        set.at("/spec/template/spec/volumes").forEach(v -> volumes.put(v.get("name").asText(), v));
        assertThat(volumes).doesNotContainKey("data");
        // config: the generated ConfigMap, mounted where --config points
        assertThat(volumes.get("config").at("/configMap/name").asText()).isEqualTo(generatorName(baseKustomization));
        String configFlag = flags("1").get("--config");
        assertThat(configFlag).isEqualTo(mounts.get("config") + "/" + generatorFile(baseKustomization));
        // secrets: the Secret of the base
        assertThat(base).containsKey("Secret/" + volumes.get("secrets").at("/secret/secretName").asText());
        assertThat(mounts.get("secrets")).isNotEqualTo(mounts.get("config"));
        // the image's user owns the volume
        JsonNode security = set.at("/spec/template/spec/securityContext");
        assertThat(security.get("runAsNonRoot").asBoolean()).isTrue();
        assertThat(security.get("fsGroup").asInt()).isEqualTo(security.get("runAsUser").asInt());
    }

    @Test
    void eachPodIsSeededWithTheOtherPodsStableNamesUnderTheHeadlessService() throws Exception {
        JsonNode set = statefulSet();
        String name = set.at("/metadata/name").asText();
        String peers = set.at("/spec/serviceName").asText();
        int replicas = set.at("/spec/replicas").asInt();
        int clusterPort = containerPorts().get("cluster");
        for (int pod = 0; pod < replicas; pod++) {
            Map<String, String> flags = flags(Integer.toString(pod));
            assertThat(flags.get("--node-id")).isEqualTo(name + "-" + pod);
            assertThat(flags.get("--bind")).isEqualTo("10.1.2.3");
            List<String> expected = new ArrayList<>();
            for (int other = 0; other < replicas; other++) {
                if (other != pod) {
                    expected.add(name + "-" + other + "." + peers + ":" + clusterPort);
                }
            }
            assertThat(flags.get("--seeds")).as("seeds of pod " + pod).isEqualTo(String.join(",", expected));
        }
    }

    @Test
    void resourceRequestsLeaveRoomBeyondTheHeap() {
        JsonNode resources = container().get("resources");
        long requestMiB = mebibytes(resources.at("/requests/memory").asText());
        long limitMiB = mebibytes(resources.at("/limits/memory").asText());
        assertThat(resources.at("/requests/cpu").asText()).isNotEmpty();
        Matcher xmx = XMX.matcher(env().get("JAVA_OPTS"));
        assertThat(xmx.find()).as("JAVA_OPTS sets -Xmx").isTrue();
        long heapMiB = Long.parseLong(xmx.group(1)) * (xmx.group(2).equalsIgnoreCase("g") ? 1024 : 1);
        assertThat(heapMiB).as("heap below the memory request (RocksDB and direct buffers live outside it)").isLessThan(requestMiB);
        assertThat(limitMiB).isGreaterThanOrEqualTo(requestMiB);
    }

    @Test
    void theOverlayIsASecondLanInItsOwnNamespaceAndEachLanNamesTheOtherAsItsWanPeer() {
        assertThat(overlayKustomization.get("resources").get(0).asText()).isEqualTo("../../base");
        String baseNamespace = baseKustomization.get("namespace").asText();
        String overlayNamespace = overlayKustomization.get("namespace").asText();
        assertThat(overlayNamespace).isNotEqualTo(baseNamespace);
        JsonNode generator = overlayKustomization.get("configMapGenerator").get(0);
        assertThat(generator.get("name").asText()).isEqualTo(generatorName(baseKustomization));
        assertThat(generator.get("behavior").asText()).isEqualTo("replace");

        String baseLan = baseConfig.get("lan").asText();
        String overlayLan = overlayConfig.get("lan").asText();
        assertThat(overlayLan).isNotEqualTo(baseLan).matches("[A-Za-z0-9-]{1,32}");
        // the same node settings apart from the LAN and its peers
        for (String key : List.of("data-dir", "http-port", "cluster-port", "wan-port")) {
            assertThat(overlayConfig.get(key)).as(key).isEqualTo(baseConfig.get(key));
        }
        assertThat(wanPeers(baseConfig)).isEqualTo(Map.of(overlayLan, stableWanAddresses(overlayNamespace)));
        assertThat(wanPeers(overlayConfig)).isEqualTo(Map.of(baseLan, stableWanAddresses(baseNamespace)));
    }

    // ---------------------------------------------------------------- helpers

    private static JsonNode statefulSet() {
        return base.get("StatefulSet/backplane");
    }

    private static JsonNode container() {
        ArrayNode containers = (ArrayNode) statefulSet().at("/spec/template/spec/containers");
        assertThat(containers).hasSize(1);
        return containers.get(0);
    }

    private static Map<String, Integer> containerPorts() {
        Map<String, Integer> ports = new HashMap<>();
        container().get("ports").forEach(p -> ports.put(p.get("name").asText(), p.get("containerPort").asInt()));
        return ports;
    }

    private static Map<String, String> env() {
        Map<String, String> env = new HashMap<>();
        container().get("env").forEach(e -> {
            if (e.has("value")) {
                env.put(e.get("name").asText(), e.get("value").asText());
            }
        });
        return env;
    }

    /**
     * Runs the container's start script as the pod with ordinal {@code ordinal} would, with the node
     * replaced by a printer of its arguments, and returns the flags it would start with.
     */
    private static Map<String, String> flags(String ordinal) {
        JsonNode c = container();
        assertThat(c.get("command").toString()).isEqualTo("[\"/bin/bash\",\"-c\"]");
        String script = c.get("args").get(0).asText();
        assertThat(script).contains("exec /opt/backplane/bin/backplane ");
        script = script.replace("exec /opt/backplane/bin/backplane ", "printf '%s\\n' ");
        try {
            ProcessBuilder builder = new ProcessBuilder("bash", "-c", script);
            builder.environment().putAll(env());
            builder.environment().put("POD_NAME", statefulSet().at("/metadata/name").asText() + "-" + ordinal);
            builder.environment().put("POD_IP", "10.1.2.3");
            builder.redirectErrorStream(true);
            Process p = builder.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as(out).isZero();
            List<String> words = out.lines().toList();
            Map<String, String> flags = new LinkedHashMap<>();
            for (int i = 0; i < words.size(); i += 2) {
                assertThat(words.get(i)).as("flag in " + words).startsWith("--");
                flags.put(words.get(i), words.get(i + 1));
            }
            assertThat(flags.keySet()).as("flags of CONTRACT.md §2").isSubsetOf("--config", "--node-id", "--bind", "--seeds");
            return flags;
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    private static List<String> stableWanAddresses(String namespace) {
        JsonNode set = statefulSet();
        List<String> out = new ArrayList<>();
        for (int i = 0; i < set.at("/spec/replicas").asInt(); i++) {
            out.add(set.at("/metadata/name").asText() + "-" + i + "." + set.at("/spec/serviceName").asText() + "."
                    + namespace + ".svc.cluster.local:" + containerPorts().get("wan"));
        }
        return out;
    }

    private static Map<String, List<String>> wanPeers(JsonNode config) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        config.get("wan-peers").fields().forEachRemaining(e -> {
            List<String> addresses = new ArrayList<>();
            e.getValue().forEach(a -> addresses.add(a.asText()));
            out.put(e.getKey(), addresses);
        });
        return out;
    }

    private static String generatorName(JsonNode kustomization) {
        return kustomization.get("configMapGenerator").get(0).get("name").asText();
    }

    private static String generatorFile(JsonNode kustomization) {
        return kustomization.get("configMapGenerator").get(0).get("files").get(0).asText();
    }

    private static Map<String, String> labels(JsonNode node) {
        Map<String, String> out = new HashMap<>();
        node.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
        assertThat(out).isNotEmpty();
        return out;
    }

    private static long mebibytes(String quantity) {
        Matcher m = Pattern.compile("(\\d+)(Mi|Gi)").matcher(quantity);
        assertThat(m.matches()).as("memory quantity " + quantity).isTrue();
        return Long.parseLong(m.group(1)) * (m.group(2).equals("Gi") ? 1024 : 1);
    }

    private static List<JsonNode> readAll(Path file) throws IOException {
        List<JsonNode> docs = new ArrayList<>();
        try (var parser = new YAMLFactory().createParser(file.toFile())) {
            var it = YAML.readValues(parser, JsonNode.class);
            while (it.hasNext()) {
                JsonNode doc = it.next();
                if (doc != null && !doc.isNull() && !doc.isMissingNode()) {
                    docs.add(doc);
                }
            }
        }
        return docs;
    }
}
