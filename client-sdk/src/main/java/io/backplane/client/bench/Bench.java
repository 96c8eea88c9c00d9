package io.backplane.client.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.backplane.client.BackplaneClient;
import io.backplane.client.BackplaneException;
import io.backplane.client.ClientOptions;
import io.backplane.client.Message;
import io.backplane.client.Replay;
import io.backplane.client.Subscription;
import java.io.PrintStream;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The load tool of CONTRACT.md §8: publishers post to {@code /BENCH/T0…} at an open-loop rate,
 * subscribers take every topic, and the tool reports post-to-delivery latency and checks every
 * subscriber's seqs for gaps and duplicates.
 *
 * <p><b>Measuring.</b> Each payload carries its <em>intended</em> send time ({@code System.nanoTime}
 * of the schedule, not of the actual send), and latency is taken from it at delivery, so a stall
 * delays every message scheduled behind it and shows in the percentiles instead of being hidden by a
 * publisher that waited (coordinated omission). With {@code --rate 0} each publisher keeps
 * {@code --window} posts in flight and the intended time is the send time. Only messages scheduled
 * inside the measured interval (after {@code --warmup}) count toward published, delivered and latency;
 * gaps and duplicates are counted over the whole run, per subscriber and topic, including messages
 * acknowledged to a publisher that a subscriber never received.
 */
@Command(name = "backplane-bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Drives a running Backplane LAN and prints one JSON line of results on stdout.")
public final class Bench implements Callable<Integer> {
    private static final String TOPIC_PREFIX = "/BENCH/T";
    private static final long MAX_LATENCY_MICROS = TimeUnit.HOURS.toMicros(1);

    @Option(names = "--url", split = ",", defaultValue = "http://127.0.0.1:8080", description = "nodes to spread clients over")
    List<URI> urls;
    @Option(names = "--topics", defaultValue = "1", description = "topics /BENCH/T0…")
    int topics;
    @Option(names = "--publishers", defaultValue = "1", description = "publishing clients")
    int publishers;
    @Option(names = "--subscribers", defaultValue = "1", description = "subscribing clients (each takes every topic)")
    int subscribers;
    @Option(names = "--rate", defaultValue = "0", description = "total posts per second; 0 = as fast as acknowledgements allow")
    long rate;
    @Option(names = "--size", defaultValue = "128", description = "payload size in bytes")
    int size;
    @Option(names = "--duration", defaultValue = "30", description = "measured seconds")
    int durationSeconds;
    @Option(names = "--warmup", defaultValue = "5", description = "seconds before measuring")
    int warmupSeconds;
    @Option(names = "--transport", defaultValue = "ws", description = "how publishers post: ws or rest")
    String transport;
    @Option(names = "--window", defaultValue = "256", description = "posts in flight per publisher with --rate 0")
    int window;
    @Option(names = "--max-in-flight", defaultValue = "2000", description = "bound on posts in flight per publisher with a fixed rate")
    int maxInFlight;
    @Option(names = "--drain", defaultValue = "10", description = "seconds to wait for deliveries after publishing stops")
    int drainSeconds;

    private final PrintStream out;
    private final PrintStream err;

    // Run state.
    private final Recorder intervalLatency = new Recorder(3);
    private final Histogram totalLatency = new Histogram(MAX_LATENCY_MICROS, 3);
    private final AtomicLong publishedInWindow = new AtomicLong();
    private final AtomicLong publishedTotal = new AtomicLong();
    private final AtomicLong deliveredInWindow = new AtomicLong();
    private final AtomicLong deliveredTotal = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private final AtomicBoolean publishing = new AtomicBoolean(true);
    private AtomicLongArray maxAckedSeq;
    private volatile long measureStartNanos;
    private volatile long measureEndNanos;

    Bench(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs the tool; the JSON line goes to {@code out}, progress and problems to {@code err}. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        CommandLine cli = new CommandLine(new Bench(out, err));
        cli.setOut(new java.io.PrintWriter(err, true));
        cli.setErr(new java.io.PrintWriter(err, true));
        return cli.execute(args);
    }

    @Override
    public Integer call() throws Exception {
        String problem = validate();
        if (problem != null) {
            err.println("bench: " + problem);
            return 2;
        }
        maxAckedSeq = new AtomicLongArray(topics);
        ClientOptions.PostTransport postTransport = transport.equals("rest")
                ? ClientOptions.PostTransport.REST : ClientOptions.PostTransport.WEBSOCKET;
        List<BackplaneClient> clients = new ArrayList<>();
        List<SubscriberStats> subscriberStats = new ArrayList<>();
        try {
            for (int s = 0; s < subscribers; s++) {
                SubscriberStats stats = new SubscriberStats(topics);
                BackplaneClient client = BackplaneClient.connect(rotated(s), options(ClientOptions.PostTransport.WEBSOCKET));
                clients.add(client);
                subscriberStats.add(stats);
                for (int t = 0; t < topics; t++) {
                    Subscription sub = client.subscribe(TOPIC_PREFIX + t, Replay.none(), m -> onMessage(stats, m));
                    stats.subscriptions.add(sub);
                }
            }
            List<BackplaneClient> publisherClients = new ArrayList<>();
            for (int p = 0; p < publishers; p++) {
                BackplaneClient client = BackplaneClient.connect(rotated(subscribers + p), options(postTransport));
                clients.add(client);
                publisherClients.add(client);
            }
            long startNanos = System.nanoTime();
            measureStartNanos = startNanos + TimeUnit.SECONDS.toNanos(warmupSeconds);
            measureEndNanos = measureStartNanos + TimeUnit.SECONDS.toNanos(durationSeconds);
            List<Thread> threads = new ArrayList<>();
            for (int p = 0; p < publishers; p++) {
                int index = p;
                BackplaneClient client = publisherClients.get(p);
                Thread thread = new Thread(() -> publish(index, client, startNanos), "bench-publisher-" + p);
                thread.setDaemon(true);
                thread.start();
                threads.add(thread);
            }
            progressUntil(startNanos, measureEndNanos);
            publishing.set(false);
            for (Thread thread : threads) {
                thread.join(TimeUnit.SECONDS.toMillis(drainSeconds));
            }
            drain(subscriberStats);
            out.println(resultJson(subscriberStats));
            out.flush();
            return 0;
        } catch (BackplaneException e) {
            err.println("bench: " + e.getMessage());
            return 1;
        } finally {
            for (BackplaneClient client : clients) {
                client.close();
            }
        }
    }

    private String validate() {
        if (urls == null || urls.isEmpty()) {
            return "--url needs at least one node";
        }
        if (topics < 1 || publishers < 1 || subscribers < 0) {
            return "--topics and --publishers must be >= 1, --subscribers >= 0";
        }
        if (rate < 0 || size < 1 || durationSeconds < 1 || warmupSeconds < 0 || window < 1 || maxInFlight < 1 || drainSeconds < 0) {
            return "--rate >= 0, --size >= 1, --duration >= 1, --warmup >= 0, --window >= 1, --max-in-flight >= 1, --drain >= 0";
        }
        if (!transport.equals("ws") && !transport.equals("rest")) {
            return "--transport must be ws or rest, got " + transport;
        }
        return null;
    }

    private ClientOptions options(ClientOptions.PostTransport postTransport) {
        return ClientOptions.builder()
                .postTransport(postTransport)
                .maxInFlightPosts(Math.max(window, maxInFlight) + 1)
                .subscriptionQueueFrames(4096)
                .errorListener(e -> {
                    errors.incrementAndGet();
                    err.println("bench: " + e.getMessage());
                })
                .build();
    }

    /** The node list starting at client {@code i}'s node, so clients spread over the nodes. */
    private List<URI> rotated(int i) {
        List<URI> list = new ArrayList<>();
        for (int k = 0; k < urls.size(); k++) {
            list.add(urls.get((i + k) % urls.size()));
        }
        return list;
    }

    // ---------------------------------------------------------------- publishing

    private void publish(int index, BackplaneClient client, long startNanos) {
        boolean paced = rate > 0;
        Semaphore inFlight = new Semaphore(paced ? maxInFlight : window);
        double perPublisherRate = paced ? (double) rate / publishers : 0;
        long intervalNanos = paced ? Math.max(1, (long) (1e9 / perPublisherRate)) : 0;
        // Stagger publishers so that their schedules interleave instead of bursting together.
        long next = startNanos + (paced ? intervalNanos * index / publishers : 0);
        String padding = "x".repeat(Math.max(0, size - 40));
        long count = 0;
        try {
            while (publishing.get()) {
                long intended;
                if (paced) {
                    intended = next;
                    next += intervalNanos;
                    long wait = intended - System.nanoTime();
                    if (wait > 0) {
                        LockSupport.parkNanos(wait);
                    }
                    inFlight.acquire(); // bounded; time spent here still counts as latency
                } else {
                    inFlight.acquire();
                    intended = System.nanoTime();
                }
                if (intended - measureEndNanos >= 0) {
                    inFlight.release();
                    break;
                }
                int topic = (int) ((count++ * publishers + index) % topics);
                String json = "{\"t\":" + intended + ",\"p\":\"" + padding + "\"}";
                boolean counted = intended - measureStartNanos >= 0;
                client.post(TOPIC_PREFIX + topic, json).whenComplete((posted, error) -> {
                    // Count first, release last: the publisher's final wait for all its permits is what
                    // tells the results that every answer has been counted.
                    if (error != null) {
                        errors.incrementAndGet();
                    } else {
                        publishedTotal.incrementAndGet();
                        if (counted) {
                            publishedInWindow.incrementAndGet();
                        }
                        maxAckedSeq.accumulateAndGet(topic, posted.seq(), Math::max);
                    }
                    inFlight.release();
                });
            }
            // Wait (bounded) for this publisher's posts to be acknowledged before results are taken.
            inFlight.tryAcquire(paced ? maxInFlight : window, drainSeconds, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---------------------------------------------------------------- subscribing

    /** Per subscriber: the last seq seen per topic, and its gap/duplicate counts. */
    private static final class SubscriberStats {
        final long[] lastSeq;
        final long[] firstSeq;
        final List<Subscription> subscriptions = new ArrayList<>();
        long gaps;
        long duplicates;

        SubscriberStats(int topics) {
            lastSeq = new long[topics];
            firstSeq = new long[topics];
        }

        synchronized void onSeq(int topic, long seq) {
            long last = lastSeq[topic];
            if (firstSeq[topic] == 0) {
                firstSeq[topic] = seq;
            }
            if (last != 0) {
                if (seq <= last) {
                    duplicates++;
                    return;
                }
                gaps += seq - last - 1;
            }
            lastSeq[topic] = seq;
        }
    }

    private void onMessage(SubscriberStats stats, Message m) {
        long now = System.nanoTime();
        int topic = Integer.parseInt(m.topic().substring(TOPIC_PREFIX.length()));
        stats.onSeq(topic, m.seq());
        long intended = m.payloadAsJson().path("t").asLong();
        deliveredTotal.incrementAndGet();
        if (intended - measureStartNanos >= 0 && intended - measureEndNanos < 0) {
            deliveredInWindow.incrementAndGet();
            intervalLatency.recordValue(Math.min(MAX_LATENCY_MICROS, Math.max(0, (now - intended) / 1000)));
        }
    }

    // ---------------------------------------------------------------- progress and results

    private void progressUntil(long startNanos, long endNanos) throws InterruptedException {
        long second = 1;
        long lastPublished = 0;
        long lastDelivered = 0;
        while (System.nanoTime() - endNanos < 0) {
            long at = startNanos + TimeUnit.SECONDS.toNanos(second);
            long wait = Math.min(at, endNanos) - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
            long published = publishedTotal.get();
            long delivered = deliveredTotal.get();
            Histogram interval = takeInterval();
            err.printf(Locale.ROOT, "[%3ds] %-7s published %8d/s  delivered %9d/s  p50 %7d us  p99 %8d us  max %8d us  errors %d%n",
                    second, System.nanoTime() - measureStartNanos < 0 ? "warmup" : "measure",
                    published - lastPublished, delivered - lastDelivered,
                    interval.getValueAtPercentile(50), interval.getValueAtPercentile(99), interval.getMaxValue(), errors.get());
            lastPublished = published;
            lastDelivered = delivered;
            second++;
        }
    }

    private synchronized Histogram takeInterval() {
        Histogram interval = intervalLatency.getIntervalHistogram();
        totalLatency.add(interval);
        return interval;
    }

    /** Waits (bounded by --drain) until every subscriber has every acknowledged post of every topic. */
    private void drain(List<SubscriberStats> subscriberStats) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(drainSeconds);
        while (!allDelivered(subscriberStats) && System.nanoTime() - deadline < 0) {
            Thread.sleep(20);
        }
        takeInterval();
        if (!allDelivered(subscriberStats)) {
            err.printf(Locale.ROOT, "bench: subscribers still missed acknowledged posts after --drain %d s%n", drainSeconds);
        }
        if (publishedInWindow.get() == 0) {
            err.println("bench: no post scheduled inside the measured interval was acknowledged: the publishers fell"
                    + " behind their schedule by more than --warmup; the rate is above what the LAN sustains");
        }
    }

    private boolean allDelivered(List<SubscriberStats> subscriberStats) {
        for (SubscriberStats stats : subscriberStats) {
            synchronized (stats) {
                for (int t = 0; t < topics; t++) {
                    if (stats.lastSeq[t] < maxAckedSeq.get(t)) {
                        return false;
                    }
                }
            }
        }
        return true;
    }

    private String resultJson(List<SubscriberStats> subscriberStats) {
        long gaps = 0;
        long undelivered = 0;
        long duplicates = 0;
        for (SubscriberStats stats : subscriberStats) {
            synchronized (stats) {
                gaps += stats.gaps;
                duplicates += stats.duplicates;
                for (int t = 0; t < topics; t++) {
                    long acked = maxAckedSeq.get(t);
                    // Acknowledged but never delivered to this subscriber; one that got nothing at all is
                    // measured from the position its subscription started at.
                    long last = stats.firstSeq[t] != 0 ? stats.lastSeq[t]
                            : stats.subscriptions.get(t).lastSeq(TOPIC_PREFIX + t).orElse(0);
                    if (acked > last) {
                        undelivered += acked - last;
                    }
                }
            }
        }
        ObjectMapper json = new ObjectMapper();
        ObjectNode result = json.createObjectNode();
        long published = publishedInWindow.get();
        long delivered = deliveredInWindow.get();
        result.put("published", published);
        result.put("publishedPerSec", round1((double) published / durationSeconds));
        result.put("delivered", delivered);
        result.put("deliveredPerSec", round1((double) delivered / durationSeconds));
        ObjectNode latency = result.putObject("latencyMicros");
        synchronized (this) {
            latency.put("p50", totalLatency.getValueAtPercentile(50));
            latency.put("p99", totalLatency.getValueAtPercentile(99));
            latency.put("p999", totalLatency.getValueAtPercentile(99.9));
            latency.put("max", totalLatency.getMaxValue());
        }
        result.put("errors", errors.get());
        // gaps counts both; undelivered says how much of it is a tail still missing when --drain ran
        // out (subscribers far behind, e.g. after slow-consumer resumes) rather than a seq skipped
        // inside a stream. Either is an acknowledged post a subscriber did not get.
        result.put("gaps", gaps + undelivered);
        result.put("duplicates", duplicates);
        result.put("undelivered", undelivered);
        return result.toString();
    }

    private static double round1(double v) {
        return Math.round(v * 10) / 10.0;
    }
}
