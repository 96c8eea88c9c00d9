package io.backplane.wan;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

/**
 * The sender and receiver state machines joined by a simulated link (no sockets): frames lost,
 * duplicated, reordered, connections broken, senders replaced by newer epochs. Whatever happens,
 * each spooled entry is applied exactly once and in spool order, and nothing is trimmed before the
 * receiver acknowledged it durably.
 */
class SenderReceiverTest {
    private static final WanSender.Config CONFIG = new WanSender.Config(64, 50, 20, 1000);

    /** One simulated connection: the receiver state of the far side and what is on the wire. */
    private static final class Link {
        final WanReceiver receiver;
        final ArrayDeque<WanFrame> toReceiver = new ArrayDeque<>();
        final ArrayDeque<WanFrame> toSender = new ArrayDeque<>();
        boolean closed;

        Link(MemoryApplier applier, WanReceiver.Counters counters) {
            receiver = new WanReceiver(applier, counters);
        }
    }

    private static final class Run {
        final MemorySpool spool = new MemorySpool();
        final MemoryApplier applier = new MemoryApplier("NY");
        final WanReceiver.Counters counters = new WanReceiver.Counters();
        final Random random;
        final List<String> violations = new ArrayList<>();
        WanSender sender;
        Link link;
        long now;
        long epoch = 1;

        Run(long seed) {
            random = new Random(seed);
            newSender();
        }

        void newSender() {
            WanSender previous = sender;
            sender = new WanSender("GVA", "NY", epoch++, "n1", CONFIG, new WanSender.Listener() {
                @Override
                public void acknowledged(long through) {
                    // The property: only what the receiver applied may be trimmed.
                    if (applier.appliedHint("GVA") < through) {
                        violations.add("acknowledged " + through + " but applied only " + applier.appliedHint("GVA"));
                    }
                    spool.trimThrough(through);
                }

                @Override
                public void refused(String reason) {
                    violations.add("refused: " + reason);
                }
            });
            if (previous != null) {
                previous.onDisconnected();
            }
            connect();
        }

        void connect() {
            link = new Link(applier, counters);
            link.toReceiver.addAll(sender.onConnected(now));
        }

        void step(double loss, double duplicate, double reorder) {
            now += 5;
            link.toReceiver.addAll(sender.poll(now, spool, 32));
            // deliver to the receiver with faults
            List<WanFrame> batch = new ArrayList<>(link.toReceiver);
            link.toReceiver.clear();
            for (int i = 0; i < batch.size(); i++) {
                WanFrame f = batch.get(i);
                boolean isData = f instanceof WanFrame.Data;
                if (isData && random.nextDouble() < loss) {
                    continue;
                }
                if (isData && i + 1 < batch.size() && random.nextDouble() < reorder) {
                    WanFrame next = batch.get(i + 1);
                    batch.set(i + 1, f);
                    f = next;
                }
                toReceiver(f);
                if (isData && random.nextDouble() < duplicate) {
                    toReceiver(f);
                }
            }
            while (!link.toSender.isEmpty() && !link.closed) {
                sender.onFrame(link.toSender.poll(), now, spool).forEach(this::toReceiver);
            }
            if (link.closed) {
                sender.onDisconnected();
                connect();
            }
        }

        void toReceiver(WanFrame f) {
            if (link.closed) {
                return;
            }
            WanReceiver.Result r = link.receiver.onFrame(f, (seq, o, e) -> {
                WanReceiver.Result done = link.receiver.onCompleted(seq, o, e);
                link.toSender.addAll(done.frames());
                if (done.close() != null) {
                    link.closed = true;
                }
            });
            link.toSender.addAll(r.frames());
            if (r.close() != null) {
                link.closed = true;
            }
        }
    }

    @Property(tries = 60)
    void exactlyOnceInOrderUnderLossDuplicationReorderingAndReconnects(@ForAll @LongRange(min = 1, max = 1_000_000) long seed) {
        Run run = new Run(seed);
        int posted = 0;
        for (int round = 0; round < 400; round++) {
            for (int k = run.random.nextInt(4); k > 0; k--) {
                run.spool.append("/T");
                posted++;
            }
            run.step(0.05, 0.05, 0.05);
            if (run.random.nextInt(60) == 0) {
                run.link.closed = true; // a broken connection
            }
            if (run.random.nextInt(150) == 0) {
                run.newSender(); // a failover: the next spooler, with a higher epoch
            }
        }
        for (int round = 0; round < 2000 && run.spool.trimmedThrough < posted; round++) {
            run.step(0, 0, 0);
        }
        assertThat(run.violations).isEmpty();
        List<String> expected = new ArrayList<>();
        for (int i = 1; i <= posted; i++) {
            expected.add("ORIGIN:n1:1-" + i);
        }
        assertThat(run.applier.appliedIds()).containsExactlyElementsOf(expected);
        assertThat(run.spool.trimmedThrough).isEqualTo(posted);
    }

    @Test
    void aStaleEpochIsRefusedOnceANewerOneApplied() {
        Run run = new Run(1);
        run.spool.append("/T");
        for (int i = 0; i < 20; i++) {
            run.step(0, 0, 0);
        }
        assertThat(run.applier.appliedIds()).hasSize(1);
        // Epoch 1 is the current one; a receiver that saw epoch 2 refuses epoch 1.
        run.applier.marks.get("GVA")[0] = 2;
        WanReceiver r = new WanReceiver(run.applier, new WanReceiver.Counters());
        WanReceiver.Result result = r.onFrame(new WanFrame.Hello("GVA", "NY", 1, "zombie"), (s, o, e) -> { });
        assertThat(result.frames()).singleElement().isInstanceOf(WanFrame.Refuse.class);
        assertThat(result.close()).isNotNull();
    }

    @Test
    void aGapWaitsForTheResendAfterTheTimeout() {
        Run run = new Run(2);
        for (int i = 0; i < 5; i++) {
            run.spool.append("/T");
        }
        run.step(0, 0, 0); // Hello, Welcome
        run.now += 5;
        List<WanFrame> frames = run.sender.poll(run.now, run.spool, 32);
        assertThat(frames).hasSize(5);
        run.toReceiver(frames.get(0));
        run.toReceiver(frames.get(2)); // 2 lost: 3 and 4 wait behind the gap
        run.toReceiver(frames.get(3));
        assertThat(run.applier.appliedIds()).hasSize(1);
        assertThat(run.counters.outOfOrderDropped).isEqualTo(2);
        while (!run.link.toSender.isEmpty()) {
            run.sender.onFrame(run.link.toSender.poll(), run.now, run.spool);
        }
        assertThat(run.sender.ackedThrough()).isEqualTo(1);
        run.now += CONFIG.resendAfterMillis();
        List<WanFrame> resent = run.sender.poll(run.now, run.spool, 32);
        assertThat(resent).filteredOn(f -> f instanceof WanFrame.Data).extracting(f -> ((WanFrame.Data) f).spoolSeq())
                .containsExactly(2L, 3L, 4L, 5L);
        assertThat(run.sender.framesResent()).isEqualTo(4);
        resent.forEach(run::toReceiver); // 2 fills the gap: 3 and 4 come from the buffer, their resends are duplicates
        assertThat(run.applier.appliedIds()).containsExactly("ORIGIN:n1:1-1", "ORIGIN:n1:1-2", "ORIGIN:n1:1-3",
                "ORIGIN:n1:1-4", "ORIGIN:n1:1-5");
        assertThat(run.counters.duplicatesSuppressed).isEqualTo(2);
    }
}
