package io.backplane.node.ops;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.backplane.node.support.NodeProcess;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The operations flags with a real process: --version, --log-format json, and a drain ending in exit 0. */
class OpsProcessTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    Path tmp;

    @Test
    void versionPrintsTheReleaseCommitAndJava() {
        NodeProcess node = NodeProcess.launch("--version");
        assertThat(node.waitFor(30)).isZero();
        List<String> out = node.stdout();
        assertThat(out.get(0)).matches("backplane [0-9][0-9A-Za-z.+-]*");
        assertThat(out).anyMatch(l -> l.startsWith("commit ")).anyMatch(l -> l.startsWith("java " + System.getProperty("java.version")));
    }

    @Test
    void jsonLogLinesThenADrainLeavesAndExitsZero() throws Exception {
        try (NodeProcess node = NodeProcess.startReady(tmp.resolve("data"), "--log-format", "json")) {
            given().baseUri(node.baseUrl()).post("/api/v1/admin/drain").then().statusCode(202);
            assertThat(node.waitFor(30)).isZero();
            List<String> logLines = node.stdout().stream().filter(l -> l.startsWith("{")).toList();
            assertThat(logLines).isNotEmpty();
            for (String line : logLines) {
                JsonNode event = JSON.readTree(line);
                assertThat(event.has("level") && event.has("loggerName") && event.has("formattedMessage")).as(line).isTrue();
            }
            assertThat(logLines).anyMatch(l -> l.contains("drained in"));
            // the lines scripts wait for stay plain, and nothing else is unstructured
            assertThat(node.stdout()).contains("ready")
                    .allMatch(l -> l.startsWith("{") || l.equals("ready") || l.startsWith("listening "));
        }
    }

    @Test
    void anUnknownLogFormatExitsTwoNamingTheFlag() {
        NodeProcess node = NodeProcess.launch("--log-format", "xml", "--http-port", "0", "--data-dir", tmp.resolve("d").toString());
        assertThat(node.waitFor(30)).isEqualTo(2);
        assertThat(node.stderr()).hasSize(1);
        assertThat(node.stderr().get(0)).contains("--log-format");
    }
}
