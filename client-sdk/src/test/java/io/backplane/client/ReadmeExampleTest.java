package io.backplane.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The smallest program of CONTRACT.md §7 and client-sdk/README.md, compiled and run as written,
 * except that the two node URIs are a running node and a port where nothing listens.
 */
class ReadmeExampleTest {
    @Test
    void contractExampleCompilesAndRuns() throws Exception {
        int deadPort;
        try (ServerSocket probe = new ServerSocket(0)) {
            deadPort = probe.getLocalPort();
        }
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream stdout = System.out;
        try (NodeProcess node = NodeProcess.start("readme")) {
            String first = node.uri().toString();
            String second = "http://127.0.0.1:" + deadPort;
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));

            // ---- the example, as in the contract
            try (BackplaneClient client = BackplaneClient.connect(
                    List.of(URI.create(first), URI.create(second)))) {
                Subscription sub = client.subscribe("/GENEVA/QUOTES/*", Replay.fromSeq(1),
                        (Message m) -> System.out.println(m.topic() + " " + m.seq() + " " + m.payloadAsString()));
                Posted posted = client.post("/GENEVA/QUOTES/IBM", "{\"bid\":101.5}").get();   // CompletableFuture
                System.out.println(posted.seq());
                waitForLine(captured, "/GENEVA/QUOTES/IBM 1 {\"bid\":101.5}");
                sub.close();
            }
            // ---- end of the example
        } finally {
            System.setOut(stdout);
        }
        assertThat(captured.toString(StandardCharsets.UTF_8).lines())
                .contains("1", "/GENEVA/QUOTES/IBM 1 {\"bid\":101.5}");
    }

    /** The example's handler prints asynchronously; give it (bounded) time before closing. */
    private static void waitForLine(ByteArrayOutputStream out, String line) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 10_000;
        while (!out.toString(StandardCharsets.UTF_8).lines().anyMatch(line::equals) && System.currentTimeMillis() < deadline) {
            Thread.sleep(10);
        }
    }
}
