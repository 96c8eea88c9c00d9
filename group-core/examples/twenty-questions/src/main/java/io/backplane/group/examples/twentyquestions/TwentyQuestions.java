package io.backplane.group.examples.twentyquestions;

import io.backplane.group.groups.GroupLayerConfig;
import io.backplane.group.runtime.ClusterConfig;
import io.backplane.group.runtime.ClusterMember;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeoutException;

/**
 * The twenty-questions example (group-core/examples/twenty-questions/README.md):
 * <pre>
 *   twenty-questions serve --name NAME --port PORT --seeds HOST:PORT,... [--workers 2]
 *   twenty-questions ask   --seeds HOST:PORT,... [--name NAME] [QUESTION ...]   (no question: read stdin)
 * </pre>
 * A question is {@code attr=value ...}; a line {@code add NAME attr=value ...} adds a thing.
 */
public final class TwentyQuestions {
    /** The group every member joins (group ids are numbers; 20 for twenty questions). */
    static final long GROUP = 20;
    /** Members a LAN of servers is expected to have: founding needs a majority of it. */
    static final int EXPECTED_SIZE = 3;

    private TwentyQuestions() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0 || !(args[0].equals("serve") || args[0].equals("ask"))) {
            fail("usage: twenty-questions serve --name NAME --port PORT --seeds HOST:PORT,... [--workers N] | "
                    + "ask --seeds HOST:PORT,... [--name NAME] [QUESTION ...]");
        }
        String name = null;
        int port = -1;
        String seeds = null;
        int workers = 2;
        List<String> rest = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            switch (args[i]) {
                case "--name" -> name = value(args, ++i);
                case "--port" -> port = intValue(args, ++i, "--port");
                case "--seeds" -> seeds = value(args, ++i);
                case "--workers" -> workers = intValue(args, ++i, "--workers");
                default -> {
                    if (args[i].startsWith("--")) {
                        fail("unknown option " + args[i]);
                    }
                    rest.add(args[i]);
                }
            }
        }
        if (seeds == null) {
            fail("--seeds is required (the servers' cluster addresses, host:port,...)");
        }
        if (workers < 1) {
            fail("--workers must be >= 1, was " + workers);
        }
        if (args[0].equals("serve")) {
            if (name == null || port < 0) {
                fail("serve needs --name and --port");
            }
            serve(name, port, seeds, workers);
        } else {
            ask(name == null ? "tq-ask-" + ProcessHandle.current().pid() : name, seeds, rest);
        }
    }

    private static void serve(String name, int port, String seeds, int workers) throws Exception {
        QuestionServer server = new QuestionServer(GROUP, workers,
                line -> System.out.println(LocalTime.now().truncatedTo(ChronoUnit.MILLIS) + " " + name + ": " + line));
        ClusterMember m = ClusterMember.withGroups(config(name, port, seeds), GroupLayerConfig.defaults(), server);
        server.attach(m.self(), m::groups);
        m.start();
        System.out.println(name + " serving on cluster port " + m.localPort() + " (incarnation " + m.self() + ")");
        new CountDownLatch(1).await(); // until killed
    }

    private static void ask(String name, String seeds, List<String> questions) throws Exception {
        QuestionClient client = new QuestionClient(GROUP);
        try (ClusterMember m = ClusterMember.withGroups(config(name, 0, seeds), GroupLayerConfig.defaults(), client)) {
            client.attach(m::groups);
            m.start();
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (!client.ready()) {
                if (System.nanoTime() > deadline) {
                    fail("no twenty-questions server found at " + seeds + " within 30 s");
                }
                Thread.sleep(100);
            }
            if (!questions.isEmpty()) {
                for (String q : questions) {
                    handle(client, q);
                }
            } else {
                System.out.println("ask a question (attr=value ...), or: add NAME attr=value ...; end with EOF");
                BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
                for (String line; (line = in.readLine()) != null; ) {
                    if (!line.isBlank()) {
                        handle(client, line.trim());
                    }
                }
            }
            m.leave();
        }
    }

    private static void handle(QuestionClient client, String line) throws InterruptedException {
        try {
            if (line.startsWith("add ")) {
                client.add(line.substring(4));
                System.out.println("added " + line.substring(4));
                return;
            }
            long t0 = System.nanoTime();
            QuestionClient.Answer a = client.ask(line, 20_000);
            System.out.println(line + " -> " + a.names() + "  (" + (System.nanoTime() - t0) / 1_000_000 + " ms, "
                    + a.attempts() + (a.attempts() == 1 ? " attempt" : " attempts") + ", group view " + a.groupViewId() + ")");
        } catch (IllegalArgumentException e) {
            System.out.println("bad input: " + e.getMessage());
        } catch (TimeoutException e) {
            System.out.println(e.getMessage());
        }
    }

    static ClusterConfig config(String name, int port, String seeds) {
        try {
            // A restarted copy must be a new incarnation: the wall clock in seconds grows across restarts.
            return config(name, port, seeds, System.currentTimeMillis() / 1000).build();
        } catch (IllegalArgumentException e) {
            fail(e.getMessage());
            throw e;
        }
    }

    static ClusterConfig.Builder config(String name, int port, String seeds, long incarnation) {
        return ClusterConfig.builder(name).incarnation(incarnation).port(port).bindHost("127.0.0.1").seeds(seeds)
                .expectedSize(EXPECTED_SIZE);
    }

    private static String value(String[] args, int i) {
        if (i >= args.length) {
            fail(args[i - 1] + " needs a value");
        }
        return args[i];
    }

    private static int intValue(String[] args, int i, String flag) {
        try {
            return Integer.parseInt(value(args, i));
        } catch (NumberFormatException e) {
            fail(flag + " must be a number, was '" + args[i] + "'");
            return 0;
        }
    }

    private static void fail(String message) {
        System.err.println(message);
        System.exit(2);
    }
}
