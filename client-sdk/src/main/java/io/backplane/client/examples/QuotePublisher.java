package io.backplane.client.examples;

import io.backplane.client.BackplaneClient;
import io.backplane.client.Posted;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Posts a quote for each of a few symbols to {@code /GENEVA/QUOTES/<SYMBOL>} every 200 ms (a random
 * walk), and prints each acknowledgement's seq.
 *
 * <pre>java -cp client-sdk/target/backplane-bench.jar io.backplane.client.examples.QuotePublisher [node-url…] [--count N]</pre>
 */
public final class QuotePublisher {
    private static final String[] SYMBOLS = {"IBM", "AAPL", "MSFT", "NESN"};

    private QuotePublisher() {
    }

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
        Random random = new Random();
        double[] prices = {101.5, 189.2, 415.0, 98.7};
        try (BackplaneClient client = BackplaneClient.connect(nodes)) {
            for (long n = 0; n < count; n++) {
                int s = (int) (n % SYMBOLS.length);
                prices[s] = Math.max(0.01, prices[s] + random.nextGaussian() * 0.05);
                double bid = Math.round(prices[s] * 100) / 100.0;
                String quote = String.format(Locale.ROOT, "{\"symbol\":\"%s\",\"bid\":%.2f,\"ask\":%.2f}",
                        SYMBOLS[s], bid, bid + 0.02);
                Posted posted = client.post("/GENEVA/QUOTES/" + SYMBOLS[s], quote).get();
                System.out.println(posted.topic() + " seq " + posted.seq() + " " + quote);
                Thread.sleep(200);
            }
        }
    }
}
