package io.backplane.node;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import io.backplane.node.support.NodeProcess;
import io.backplane.node.support.TestNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** CONTRACT.md §2 with real processes: ready lines, clean SIGTERM exit 0, one clear line for each bad start. */
class CommandLineTest {
    @TempDir
    Path tmp;

    @Test
    void startsPrintsListeningThenReadyAndExitsZeroOnSigterm() throws Exception {
        try (NodeProcess node = NodeProcess.startReady(tmp.resolve("data"))) {
            List<String> out = node.stdout();
            int listening = out.indexOf("listening http=" + node.baseUrl().replaceAll(".*:", ""));
            assertThat(listening).as("stdout " + out).isGreaterThanOrEqualTo(0);
            assertThat(out.indexOf("ready")).isGreaterThan(listening);
            given().baseUri(node.baseUrl()).contentType("application/json").body("1")
                    .post("/api/v1/topics/CLI/T").then().statusCode(201);
            assertThat(node.terminate()).isZero();
            assertThat(String.join("\n", node.stderr())).doesNotContain("Exception");
        }
        // RocksDB was closed cleanly: the same directory opens again and keeps the post.
        try (TestNode again = TestNode.start(tmp.resolve("data"), false)) {
            given().baseUri(again.baseUrl()).get("/api/v1/topics/CLI/T/messages").then().statusCode(200)
                    .body("messages.size()", org.hamcrest.Matchers.equalTo(1));
        }
    }

    @Test
    void unknownFlagExitsTwoWithOneLine() {
        NodeProcess node = NodeProcess.launch("--no-such-flag");
        assertThat(node.waitFor(30)).isEqualTo(2);
        assertOneLineNaming(node, "--no-such-flag");
    }

    @Test
    void badFlagValuesExitTwoWithOneLineNamingTheFlag() {
        for (List<String> args : List.of(List.of("--http-port", "abc"), List.of("--http-port", "70000"),
                List.of("--lan", "bad_lan"), List.of("--node-id", "has space"), List.of("--seeds", "nohost"),
                List.of("--wan-peer", "GENEVA"), List.of("--wan-peer", "GENEVA=nohost"),
                List.of("--wan-spool-max-bytes", "lots"), List.of("--wan-spool-max-age", "0s"))) {
            NodeProcess node = NodeProcess.launch(args.toArray(String[]::new));
            assertThat(node.waitFor(30)).as(args.toString()).isEqualTo(2);
            assertOneLineNaming(node, args.get(0));
        }
    }

    @Test
    void badConfigFileExitsTwoWithOneLineNamingTheSetting() throws Exception {
        Path config = tmp.resolve("node.yaml");
        Files.writeString(config, "htp-port: 8080\n");
        NodeProcess node = NodeProcess.launch("--config", config.toString());
        assertThat(node.waitFor(30)).isEqualTo(2);
        assertOneLineNaming(node, "htp-port");

        Files.writeString(config, "limits:\n  max-payload-bytes: lots\n");
        NodeProcess node2 = NodeProcess.launch("--config", config.toString());
        assertThat(node2.waitFor(30)).isEqualTo(2);
        assertOneLineNaming(node2, "max-payload-bytes");

        NodeProcess node3 = NodeProcess.launch("--config", tmp.resolve("missing.yaml").toString());
        assertThat(node3.waitFor(30)).isEqualTo(2);
        assertOneLineNaming(node3, "missing.yaml");
    }

    @Test
    void configFileSettingsApplyAndFlagsWin() throws Exception {
        Path config = tmp.resolve("node.yaml");
        Files.writeString(config, "lan: GENEVA\nnode-id: from-file\nhttp-port: 1\ndata-dir: " + tmp.resolve("d") + "\n");
        try (NodeProcess node = NodeProcess.startReady(tmp.resolve("d2"), "--config", config.toString())) {
            given().baseUri(node.baseUrl()).get("/api/v1/cluster").then().statusCode(200)
                    .body("lan", org.hamcrest.Matchers.equalTo("GENEVA"))
                    .body("node", org.hamcrest.Matchers.equalTo("p1"));
            assertThat(Files.exists(tmp.resolve("d2").resolve("node.properties"))).isTrue();
            assertThat(node.terminate()).isZero();
        }
    }

    @Test
    void unusableDataDirectoryExitsNonZeroWithOneLine() throws Exception {
        Path file = tmp.resolve("a-file");
        Files.writeString(file, "not a directory");
        NodeProcess node = NodeProcess.launch("--data-dir", file.toString(), "--http-port", "0");
        assertThat(node.waitFor(30)).isEqualTo(1);
        assertOneLineNaming(node, file.toString());
    }

    @Test
    void dataDirectoryInUseByAnotherNodeExitsNonZeroWithOneLine() {
        try (NodeProcess first = NodeProcess.startReady(tmp.resolve("shared"))) {
            NodeProcess second = NodeProcess.launch("--data-dir", tmp.resolve("shared").toString(), "--http-port", "0");
            assertThat(second.waitFor(60)).isEqualTo(1);
            assertOneLineNaming(second, "shared");
            assertThat(first.terminate()).isZero();
        }
    }

    @Test
    void dataDirectoryOfAnotherLanIsRefused() {
        try (NodeProcess first = NodeProcess.startReady(tmp.resolve("lan"), "--lan", "GENEVA")) {
            assertThat(first.terminate()).isZero();
        }
        NodeProcess second = NodeProcess.launch("--data-dir", tmp.resolve("lan").toString(), "--http-port", "0", "--lan", "TOKYO");
        assertThat(second.waitFor(60)).isEqualTo(1);
        assertOneLineNaming(second, "GENEVA");
    }

    @Test
    void httpPortInUseExitsNonZeroWithOneLine() {
        try (NodeProcess first = NodeProcess.startReady(tmp.resolve("one"))) {
            String port = first.baseUrl().replaceAll(".*:", "");
            NodeProcess second = NodeProcess.launch("--data-dir", tmp.resolve("two").toString(), "--http-port", port);
            assertThat(second.waitFor(60)).isEqualTo(1);
            assertOneLineNaming(second, port);
            assertThat(first.terminate()).isZero();
        }
    }

    private static void assertOneLineNaming(NodeProcess node, String what) {
        List<String> lines = node.stderr().stream().filter(l -> !l.isBlank()).toList();
        assertThat(lines).as("stderr").hasSize(1);
        assertThat(lines.get(0)).startsWith("backplane: ").contains(what);
        assertThat(node.stdout()).doesNotContain("ready");
    }
}
