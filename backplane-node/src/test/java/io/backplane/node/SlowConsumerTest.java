package io.backplane.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.backplane.node.support.TestNode;
import io.backplane.node.support.WsTestClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The slow-consumer rule (CONTRACT.md §5): a subscriber that stops reading is cut off with
 * {@code slow-consumer} once its bounded outbound buffer is full, while the publisher keeps getting
 * acknowledgements and a fast subscriber of the same topic receives every message in order.
 */
class SlowConsumerTest {
    @TempDir
    Path tmp;

    @Test
    void aStalledSubscriberIsDisconnectedWithoutSlowingThePublisherOrAFastSubscriber() throws Exception {
        Path config = tmp.resolve("node.yaml");
        Files.writeString(config, "limits:\n  max-outbound-bytes-per-connection: 1MiB\n");
        int posts = 6000;
        String payload = "\"" + "q".repeat(4000) + "\"";
        try (TestNode node = TestNode.start("--config", config.toString());
             WsTestClient slow = WsTestClient.connectStalled(node.baseUrl());
             WsTestClient fast = WsTestClient.connect(node.baseUrl());
             WsTestClient publisher = WsTestClient.connect(node.baseUrl())) {
            slow.send("{\"op\":\"subscribe\",\"id\":\"slow\",\"topic\":\"/SLOW/T\"}");
            assertThat(slow.next().path("type").asText()).isEqualTo("subscribed");
            fast.send("{\"op\":\"subscribe\",\"id\":\"fast\",\"topic\":\"/SLOW/T\"}");
            assertThat(fast.next().path("type").asText()).isEqualTo("subscribed");

            int acked = 0;
            for (int i = 0; i < posts; i++) {
                publisher.send("{\"op\":\"post\",\"id\":\"p" + i + "\",\"topic\":\"/SLOW/T\",\"payload\":" + payload + "}");
                if (i - acked > 32) { // a 128 KiB window: well inside the fast subscriber's buffer
                    assertThat(publisher.next(Duration.ofSeconds(20)).path("type").asText()).isEqualTo("posted");
                    acked++;
                }
            }
            while (acked < posts) {
                assertThat(publisher.next(Duration.ofSeconds(20)).path("type").asText()).isEqualTo("posted");
                acked++;
            }
            for (long seq = 1; seq <= posts; seq++) {
                JsonNode f = fast.next(Duration.ofSeconds(20));
                assertThat(f.path("message").path("seq").asLong()).as("fast subscriber in order").isEqualTo(seq);
            }

            slow.resumeReading();
            long previous = 0;
            while (true) {
                JsonNode f = slow.next(Duration.ofSeconds(20));
                if (f.path("type").asText().equals("error")) {
                    assertThat(f.path("error").asText()).isEqualTo("slow-consumer");
                    break;
                }
                long seq = f.path("message").path("seq").asLong();
                assertThat(seq).as("slow subscriber's prefix is consecutive").isEqualTo(previous + 1);
                previous = seq;
            }
            assertThat(previous).as("the slow subscriber was cut off before the end").isLessThan(posts);
            assertThat(slow.poll(Duration.ofSeconds(5))).isNull();
            assertThat(slow.isClosed()).isTrue();
        }
    }
}
