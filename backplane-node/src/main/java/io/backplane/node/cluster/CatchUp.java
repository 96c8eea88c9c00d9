package io.backplane.node.cluster;

import io.backplane.history.AppendRequest;
import io.backplane.history.HistoryRecord;
import io.backplane.history.HistoryStore;
import io.backplane.history.HistoryStoreOverloadedException;
import io.backplane.history.TopicInfo;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.function.LongConsumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings this node's histories to a cut decided by the LAN group: for each topic, keep the longest
 * prefix that agrees with the donor's history, cut off anything after it, and append the donor's
 * records from there to the cut, with the idempotency keys stored with them. Only the suffix a node
 * lacks crosses the network. Runs on its own thread (blocking HTTP and store waits).
 *
 * <p>Histories agree up to a seq when the message ids at that seq agree: within an era every member
 * stores only messages the whole view delivered at the same place, so equal ids at a seq mean equal
 * histories up to it. A node's history can disagree only after a restart of the whole LAN that went
 * on without it (messages it stored that never committed), and then only near its end, which the
 * search walks back over in growing windows.
 *
 * <p>The donor's retention may already have trimmed records this node lacks (a new node, a topic
 * longer than the count limit, a node down longer than the age limit). No replica still holds them,
 * and a gapless history cannot take what follows them, so this node skips its history to where the
 * donor's starts ({@link HistoryStore#skipTo}): it then holds what the donor's retention left, as if
 * its own had trimmed. Records this node holds that the donor no longer holds cannot be checked
 * against the LAN's history, so they are dropped too.
 */
public final class CatchUp {
    private static final Logger log = LoggerFactory.getLogger(CatchUp.class);
    static final int CHUNK_RECORDS = 16384;
    /** Made on first use: most catch-ups (an empty LAN, a node that is up to date) never fetch. */
    private static final class Http {
        static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        /** Fetches the next chunk while the current one is stored (one at a time, so order is kept). */
        static final java.util.concurrent.ExecutorService PREFETCH = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
            Thread thread = new Thread(r, "backplane-catch-up-fetch");
            thread.setDaemon(true);
            return thread;
        });
    }

    private static List<AppendRequest> join(CompletableFuture<List<AppendRequest>> f) {
        try {
            return f.join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }

    /** Where a topic must end after the catch-up, and who holds it. */
    public record Target(String topic, long lastSeq, String lastId, String donorHttp) {
    }

    /**
     * The state this node must reach before it serves in view {@code viewId}; {@code recovery} when it
     * was decided with nobody serving (a new era, which needs a majority's promises).
     */
    public record Cut(long viewId, long era, boolean recovery, List<Target> targets) {
    }

    /** Where one topic ends after the catch-up. */
    public record Held(String topic, long lastSeq, String lastId, long lastTimestampMillis) {
    }

    public record Result(List<Held> topics, long recordsFetched) {
    }

    private final HistoryStore store;
    private final LongConsumer progress;
    private final java.util.function.BooleanSupplier superseded;

    /**
     * @param superseded true once a newer view made this catch-up pointless: it stops at the next
     *                   topic or chunk, so it never changes the store under a newer round
     */
    public CatchUp(HistoryStore store, LongConsumer progress, java.util.function.BooleanSupplier superseded) {
        this.store = store;
        this.progress = progress;
        this.superseded = superseded;
    }

    private void stopIfSuperseded() {
        if (superseded.getAsBoolean()) {
            throw new IllegalStateException("superseded by a newer view");
        }
    }

    /** Runs the catch-up; throws an unchecked exception when a donor cannot be read (the caller retries). */
    public Result run(Cut cut, List<String> localTopics) {
        List<Held> held = new ArrayList<>();
        Set<String> inCut = new TreeSet<>();
        long fetched = 0;
        for (Target t : cut.targets()) {
            inCut.add(t.topic());
            fetched += catchUp(t);
            long ts = 0;
            if (t.lastSeq() > 0) {
                List<HistoryRecord> last = store.readFrom(t.topic(), t.lastSeq(), 1);
                ts = last.isEmpty() ? 0 : last.get(0).timestampMillis();
            }
            held.add(new Held(t.topic(), t.lastSeq(), t.lastId(), ts));
        }
        for (String topic : localTopics) {
            stopIfSuperseded();
            if (!inCut.contains(topic) && lastSeq(topic) > 0) {
                // Nothing of it committed anywhere the group can see: what we hold never counted.
                log.warn("topic {} is not in the LAN's history; dropping this node's uncommitted copy", topic);
                await(store.truncateAfter(topic, 0));
                held.add(new Held(topic, 0, "", 0));
            }
        }
        return new Result(held, fetched);
    }

    private long lastSeq(String topic) {
        return store.topic(topic).map(TopicInfo::lastSeq).orElse(0L);
    }

    /** This node's first retained seq of the topic (lastSeq + 1 when it holds no record). */
    private long firstHeld(String topic) {
        return store.topic(topic).map(TopicInfo::firstSeq).orElse(1L);
    }

    private long catchUp(Target t) {
        stopIfSuperseded();
        long local = lastSeq(t.topic());
        if (local > t.lastSeq()) {
            log.warn("{}: this node holds seqs {}..{} the LAN never committed; cutting them off", t.topic(),
                    t.lastSeq() + 1, local);
            await(store.truncateAfter(t.topic(), t.lastSeq()));
            local = t.lastSeq();
        }
        long held = firstHeld(t.topic());
        if (local > 0 && held <= local) { // we hold the record at local: check it against the LAN's
            String mine = idAt(t.topic(), local);
            String theirs = null;
            if (local == t.lastSeq()) {
                theirs = t.lastId();
            } else {
                List<AppendRequest> at = fetch(t, local, local);
                if (!at.isEmpty() && at.get(0).record().seq() == local) {
                    theirs = idOf(at.get(0).record().body());
                }
            }
            if (theirs == null) {
                log.info("{}: the donor's retention trimmed seq {}, so this node's {}..{} cannot be checked against"
                        + " the LAN's history; dropping them (the donor no longer holds them either)", t.topic(),
                        local, held, local);
                await(store.truncateAfter(t.topic(), held - 1));
                local = held - 1;
            } else if (!mine.equals(theirs)) {
                long agreed = lastAgreement(t, local, held);
                log.warn("{}: this node's history differs from the LAN's after seq {}; cutting off {}..{}", t.topic(),
                        agreed, agreed + 1, local);
                await(store.truncateAfter(t.topic(), agreed));
                local = agreed;
            }
        }
        long fetched = 0;
        long from = local + 1;
        CompletableFuture<Void> last = null;
        CompletableFuture<List<AppendRequest>> prefetched = null;
        long prefetchedFrom = -1;
        while (from <= t.lastSeq()) {
            stopIfSuperseded();
            List<AppendRequest> chunk = prefetched != null && prefetchedFrom == from ? join(prefetched)
                    : fetch(t, from, t.lastSeq());
            prefetched = null;
            if (!chunk.isEmpty()) {
                // Ask for the next chunk now: the donor reads and the network carries it while this
                // one is decoded into the store's queue.
                long nextFrom = chunk.get(chunk.size() - 1).record().seq() + 1;
                if (nextFrom <= t.lastSeq()) {
                    prefetchedFrom = nextFrom;
                    prefetched = CompletableFuture.supplyAsync(() -> fetch(t, nextFrom, t.lastSeq()), Http.PREFETCH);
                }
            }
            // The donor starts above from, or holds none of from..cut: its retention trimmed them.
            long donorFirst = chunk.isEmpty() ? t.lastSeq() + 1 : chunk.get(0).record().seq();
            if (donorFirst > from) {
                log.info("{}: donor {} no longer holds seqs {}..{} (its retention trimmed them, and no replica"
                        + " keeps more); this node's history of the topic restarts at seq {}, dropping what it held"
                        + " before, as its own retention would have", t.topic(), t.donorHttp(), from, donorFirst - 1,
                        donorFirst);
                // Queued behind this topic's appends, like them: our history ends at from - 1 when it runs.
                last = queueWaitingForRoom(() -> store.skipTo(t.topic(), donorFirst));
                from = donorFirst;
            }
            // Appends are queued without waiting: the store's writer commits this chunk while the next
            // one crosses the network (its bounded queue pushes back through queueWaitingForRoom).
            for (AppendRequest a : chunk) {
                last = queueWaitingForRoom(() -> store.append(a));
            }
            fetched += chunk.size();
            progress.accept(chunk.size());
            if (!chunk.isEmpty()) {
                from = chunk.get(chunk.size() - 1).record().seq() + 1;
            }
            if (fetched % (CHUNK_RECORDS * 16) < chunk.size()) {
                log.info("catching up {}: at seq {} of {} ({} records fetched)", t.topic(), from - 1, t.lastSeq(), fetched);
            }
        }
        if (last != null) {
            await(last); // futures of one topic complete in order: the last one covers all
        }
        return fetched;
    }

    /** Queues a write (an append or a skip), waiting while the store's queue is full. */
    private CompletableFuture<Void> queueWaitingForRoom(Supplier<CompletableFuture<Void>> write) {
        while (true) {
            CompletableFuture<Void> f = write.get();
            if (!f.isCompletedExceptionally()) {
                return f;
            }
            try {
                f.join();
                return f;
            } catch (CompletionException e) {
                if (!(e.getCause() instanceof HistoryStoreOverloadedException)) {
                    throw e;
                }
            }
            try {
                Thread.sleep(1);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted");
            }
        }
    }

    /**
     * The highest seq at or below {@code below} where this node and the donor hold the same message,
     * or {@code held - 1} (keep nothing this node holds, {@code held} being its first retained seq)
     * when there is none or retention on either side removed the records that could show one.
     */
    private long lastAgreement(Target t, long below, long held) {
        long window = 256;
        long hi = below;
        while (hi >= held) {
            long lo = Math.max(held, hi - window + 1);
            List<AppendRequest> theirs = fetch(t, lo, hi);
            List<HistoryRecord> mine = store.readFrom(t.topic(), lo, (int) (hi - lo + 1));
            // Both are gapless runs, but either may start above lo (retention) and the donor's may stop
            // below hi (a chunk), so records are matched by seq, not by position.
            long theirFirst = theirs.isEmpty() ? Long.MAX_VALUE : theirs.get(0).record().seq();
            for (int i = mine.size() - 1; i >= 0; i--) {
                HistoryRecord a = mine.get(i);
                long at = a.seq() - theirFirst;
                if (at >= 0 && at < theirs.size() && idOf(a.body()).equals(idOf(theirs.get((int) at).record().body()))) {
                    return a.seq();
                }
            }
            if (theirFirst > lo) {
                break; // the donor holds nothing below: no agreement further back can be shown
            }
            hi = lo - 1;
            window *= 4;
        }
        return held - 1;
    }

    private String idAt(String topic, long seq) {
        List<HistoryRecord> r = store.readFrom(topic, seq, 1);
        return r.isEmpty() || r.get(0).seq() != seq ? "" : idOf(r.get(0).body());
    }

    /**
     * Records {@code from..to} from the donor's store (at most a chunk), gapless from {@code from} or,
     * where the donor's retention trimmed, from its first retained seq; empty when it holds none of them.
     */
    private List<AppendRequest> fetch(Target t, long from, long to) {
        if (t.donorHttp() == null) {
            throw new IllegalStateException("no HTTP address known for the donor of " + t.topic());
        }
        String uri = "http://" + t.donorHttp() + "/internal/v1/transfer?topic="
                + URLEncoder.encode(t.topic(), StandardCharsets.UTF_8) + "&fromSeq=" + from + "&toSeq=" + to
                + "&maxRecords=" + CHUNK_RECORDS;
        HttpRequest request = HttpRequest.newBuilder(URI.create(uri)).timeout(Duration.ofSeconds(30)).GET().build();
        HttpResponse<byte[]> response;
        try {
            response = Http.CLIENT.send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException("donor " + t.donorHttp() + " unreachable: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted");
        }
        if (response.statusCode() != 200) {
            throw new IllegalStateException("donor " + t.donorHttp() + " answered " + response.statusCode() + " for "
                    + t.topic() + " " + from + ".." + to + ": " + new String(response.body(), StandardCharsets.UTF_8));
        }
        List<AppendRequest> records = decodeChunk(t.topic(), response.body());
        if (!records.isEmpty() && (records.get(0).record().seq() < from
                || records.get(records.size() - 1).record().seq() > to)) {
            throw new IllegalStateException("donor " + t.donorHttp() + " answered " + t.topic() + " "
                    + records.get(0).record().seq() + ".." + records.get(records.size() - 1).record().seq()
                    + " when asked for " + from + ".." + to);
        }
        return records;
    }

    private static void await(CompletableFuture<Void> f) {
        try {
            f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted");
        } catch (ExecutionException e) {
            throw new IllegalStateException("store: " + e.getCause().getMessage(), e.getCause());
        }
    }

    /** The {@code id} field of a stored envelope (it is always the fourth field; see Envelopes). */
    public static String idOf(byte[] envelope) {
        String s = new String(envelope, 0, Math.min(envelope.length, 1024), StandardCharsets.UTF_8);
        int at = s.indexOf("\"id\":\"");
        if (at < 0) {
            return "";
        }
        int end = s.indexOf('"', at + 6);
        return end < 0 ? "" : s.substring(at + 6, end);
    }

    /**
     * The transfer chunk's body (docs/WIRE.md "State transfer"): per record, seq, timestamp, the
     * envelope, and the idempotency key and stored answer when there is one.
     */
    public static byte[] encodeChunk(List<AppendRequest> records) {
        int size = 4;
        for (AppendRequest a : records) {
            size += 32 + a.record().body().length
                    + (a.idempotencyKey() == null ? 0 : 8 + a.idempotencyKey().length() * 3 + a.idempotencyValue().length);
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(size); // sized once: a chunk is megabytes
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(records.size());
            for (AppendRequest a : records) {
                out.writeLong(a.record().seq());
                out.writeLong(a.record().timestampMillis());
                out.writeInt(a.record().body().length);
                out.write(a.record().body());
                out.writeBoolean(a.idempotencyKey() != null);
                if (a.idempotencyKey() != null) {
                    out.writeUTF(a.idempotencyKey());
                    out.writeInt(a.idempotencyValue().length);
                    out.write(a.idempotencyValue());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    static List<AppendRequest> decodeChunk(String topic, byte[] body) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(body))) {
            int n = in.readInt();
            List<AppendRequest> out = new ArrayList<>(Math.max(0, Math.min(n, CHUNK_RECORDS)));
            for (int i = 0; i < n; i++) {
                long seq = in.readLong();
                long ts = in.readLong();
                byte[] envelope = new byte[in.readInt()];
                in.readFully(envelope);
                String key = null;
                byte[] value = null;
                if (in.readBoolean()) {
                    key = in.readUTF();
                    value = new byte[in.readInt()];
                    in.readFully(value);
                }
                out.add(new AppendRequest(topic, new HistoryRecord(seq, ts, envelope), key, value));
            }
            return out;
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("undecodable transfer chunk for " + topic + ": " + e.getMessage(), e);
        }
    }
}
