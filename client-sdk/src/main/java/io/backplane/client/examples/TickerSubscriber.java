package io.backplane.client.examples;

import io.backplane.client.BackplaneClient;
import io.backplane.client.ClientOptions;
import io.backplane.client.Message;
import io.backplane.client.Replay;
import io.backplane.client.Subscription;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * Prints every quote of {@code /GENEVA/QUOTES/*} as a ticker line, starting with the last quote of
 * each symbol; survives node restarts (the SDK resumes without gap or duplicate).
 *
 * <pre>java -cp client-sdk/target/backplane-bench.jar io.backplane.client.examples.TickerSubscriber [node-url…] [--count N]</pre>
 */
public final class TickerSubscriber {
    private TickerSubscriber() {
    }

    @SuppressWarnings("try") // the subscription lives as long as the try block
    public static void main(String[] args) throws Exception {
        List<URI> nodes = new ArrayList<>();
        long count = Long.MAX_VALUE;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--count")) {
                count = Long.parseLong(args[++i]);
            } else {
                nodes.add(URI.create(args[i]));
            }
        }
        if (nodes.isEmpty()) {
            nodes.add(URI.create("http://127.0.0.1:8080"));
        }
        CountDownLatch done = new CountDownLatch(count > Integer.MAX_VALUE ? Integer.MAX_VALUE : (int) count);
        ClientOptions options = ClientOptions.builder()
                .errorListener(e -> System.err.println("ticker: " + e.getMessage()))
                .build();
        try (BackplaneClient client = BackplaneClient.connect(nodes, options);
             Subscription sub = client.subscribe("/GENEVA/QUOTES/*", Replay.last(1), (Message m) -> {
                 var quote = m.payloadAsJson();
                 System.out.printf("%-6s %10s %10s  #%d %s%s%n", quote.path("symbol").asText("?"),
                         quote.path("bid").asText(), quote.path("ask").asText(), m.seq(), m.timestamp(),
                         m.isReplay() ? " (last)" : "");
                 done.countDown();
             })) {
            done.await();
        }
    }
}
