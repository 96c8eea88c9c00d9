package io.backplane.group.runtime;

import io.backplane.group.protocol.Effect;
import io.backplane.group.protocol.ProcessId;
import io.backplane.group.protocol.View;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Clusters that form from seed addresses over real TCP on loopback (ARCHITECTURE.md §7.2): a node on port 0
 * that others seed from, nodes started together that form exactly one view, a restart on a new port, a
 * total restart that re-forms from a majority, a lone node that waits, and garbage on the cluster port.
 */
class ClusterDiscoveryTest {
    private static final Duration FORMED = Duration.ofSeconds(40);
    private final List<ClusterMember> members = Collections.synchronizedList(new ArrayList<>());
    /** Every view each incarnation installed, to check that only one node ever founded. */
    private final Map<ProcessId, List<View>> installed = new java.util.concurrent.ConcurrentHashMap<>();

    @AfterEach
    void closeAll() {
        new ArrayList<>(members).forEach(ClusterMember::close);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private ClusterMember start(String name, int incarnation, int port, List<InetSocketAddress> seeds,
                                int expectedSize) throws IOException {
        ClusterConfig config = ClusterConfig.builder(name).incarnation(incarnation).port(port).seeds(seeds)
                .expectedSize(expectedSize).metadata(Map.of("http", "127.0.0.1:" + (8000 + incarnation)))
                .engine(RuntimeConfig.starvationTolerantEngine()).build();
        List<View> views = Collections.synchronizedList(new ArrayList<>());
        installed.put(config.self(), views);
        ClusterMember m = new ClusterMember(config, e -> {
            if (e instanceof Effect.InstallView iv) {
                views.add(iv.view());
            }
        });
        members.add(m);
        m.start();
        return m;
    }

    private static List<InetSocketAddress> loopback(int... ports) {
        List<InetSocketAddress> out = new ArrayList<>();
        for (int p : ports) {
            out.add(new InetSocketAddress("127.0.0.1", p));
        }
        return out;
    }

    /** True when every given member has installed one and the same view, made of exactly them. */
    private static boolean oneViewOf(ClusterMember... ms) {
        View first = ms[0].view();
        if (first == null || first.size() != ms.length) {
            return false;
        }
        for (ClusterMember m : ms) {
            if (!first.equals(m.view()) || !first.contains(m.self())) {
                return false;
            }
        }
        return true;
    }

    private static boolean booksKnowAll(ClusterMember... ms) {
        for (ClusterMember m : ms) {
            for (ClusterMember other : ms) {
                NodeInfo info = m.memberInfo(other.self()).orElse(null);
                if (info == null || info.incarnation() != other.self().incarnation() || info.port() != other.localPort()) {
                    return false;
                }
            }
        }
        return true;
    }

    /** Incarnations that installed a view of themselves alone: only founding does that. */
    private Set<ProcessId> founders() {
        Set<ProcessId> out = new HashSet<>();
        installed.forEach((p, views) -> {
            synchronized (views) {
                if (views.stream().anyMatch(v -> v.size() == 1)) {
                    out.add(p);
                }
            }
        });
        return out;
    }

    @Test
    void membersSeededWithTheChosenPortOfAFounderJoinIt() throws IOException {
        ClusterMember a = start("alpha", 1, 0, List.of(), 1);
        await().atMost(FORMED).until(() -> oneViewOf(a));
        int aPort = a.localPort();
        assertThat(aPort).isPositive();

        ClusterMember b = start("bravo", 1, 0, loopback(aPort), 2);
        ClusterMember c = start("charlie", 1, 0, loopback(aPort), 2);
        await().atMost(FORMED).until(() -> oneViewOf(a, b, c) && booksKnowAll(a, b, c));

        assertThat(founders()).containsExactly(a.self());
        NodeInfo bAtC = c.memberInfo(b.self()).orElseThrow();
        assertThat(bAtC.name()).isEqualTo("bravo");
        assertThat(bAtC.metadata()).containsEntry("http", "127.0.0.1:8001");
        for (ProcessId p : a.view().members()) {
            assertThat(a.memberInfo(p)).isPresent();
        }
    }

    @Test
    void nodesStartedTogetherWithTheSameSeedsFormExactlyOneView() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            for (int round = 1; round <= 3; round++) {
                int[] ports = {freePort(), freePort(), freePort()};
                List<InetSocketAddress> seeds = loopback(ports);
                String[] names = {"n1", "n2", "n3"};
                ClusterMember[] ms = new ClusterMember[3];
                CountDownLatch go = new CountDownLatch(1);
                List<java.util.concurrent.Future<?>> started = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    int n = i;
                    int incarnation = round;
                    started.add(pool.submit(() -> {
                        go.await();
                        ms[n] = start(names[n], incarnation, ports[n], seeds, 3);
                        return null;
                    }));
                }
                go.countDown();
                for (var f : started) {
                    f.get(10, TimeUnit.SECONDS);
                }
                await().atMost(FORMED).until(() -> oneViewOf(ms) && booksKnowAll(ms));
                Set<ProcessId> founders = founders();
                founders.retainAll(List.of(ms[0].self(), ms[1].self(), ms[2].self()));
                assertThat(founders).as("round %d: exactly one node founds", round).hasSize(1);
                for (ClusterMember m : ms) {
                    m.close();
                    members.remove(m);
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aMemberRestartedOnANewPortRejoinsThroughOneSurvivor() throws IOException {
        ClusterMember a = start("alpha", 1, 0, List.of(), 1);
        await().atMost(FORMED).until(() -> oneViewOf(a));
        ClusterMember b = start("bravo", 1, 0, loopback(a.localPort()), 2);
        ClusterMember c = start("charlie", 1, 0, loopback(a.localPort()), 2);
        await().atMost(FORMED).until(() -> oneViewOf(a, b, c));
        int oldPort = c.localPort();

        c.close();
        members.remove(c);
        ClusterMember c2 = start("charlie", 2, 0, loopback(b.localPort()), 3);
        assertThat(c2.localPort()).isNotEqualTo(oldPort);
        await().atMost(FORMED).until(() -> oneViewOf(a, b, c2) && booksKnowAll(a, b, c2));
        assertThat(a.memberInfo(c2.self()).orElseThrow().port()).isEqualTo(c2.localPort());
    }

    @Test
    void afterATotalRestartAMajorityReformsAndTheLastJoinsLater() throws IOException {
        int[] ports = {freePort(), freePort(), freePort()};
        List<InetSocketAddress> seeds = loopback(ports);
        ClusterMember a = start("alpha", 1, ports[0], seeds, 3);
        ClusterMember b = start("bravo", 1, ports[1], seeds, 3);
        ClusterMember c = start("charlie", 1, ports[2], seeds, 3);
        await().atMost(FORMED).until(() -> oneViewOf(a, b, c));
        long oldViewId = a.view().id();
        for (ClusterMember m : List.of(a, b, c)) {
            m.close();
            members.remove(m);
        }

        ClusterMember a2 = start("alpha", 2, ports[0], seeds, 3);
        ClusterMember b2 = start("bravo", 2, ports[1], seeds, 3);
        await().atMost(FORMED).until(() -> oneViewOf(a2, b2));
        ClusterMember c2 = start("charlie", 2, ports[2], seeds, 3);
        await().atMost(FORMED).until(() -> oneViewOf(a2, b2, c2) && booksKnowAll(a2, b2, c2));
        assertThat(oldViewId).isPositive();
    }

    @Test
    void aLoneNodeExpectingThreeNeverFounds() throws IOException {
        ClusterMember a = start("alpha", 1, 0, loopback(freePort(), freePort()), 3);
        // well past the founding delay (1.5 s): it keeps waiting for a majority of the LAN
        await().during(Duration.ofSeconds(4)).atMost(Duration.ofSeconds(6))
                .until(() -> a.view() == null && a.memberStatus().code() == MemberStatus.JOINING);
        assertThat(a.foundingState()).contains("not a majority");
    }

    @Test
    void garbageOnTheClusterPortClosesTheConnectionAndLeavesTheNodeUnaffected() throws IOException {
        ClusterMember a = start("alpha", 1, 0, List.of(), 1);
        await().atMost(FORMED).until(() -> oneViewOf(a));

        assertClosedAfterSending(a.localPort(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        assertClosedAfterSending(a.localPort(), frame(new byte[] {3, 1, 2, 3, 4, 5})); // an engine packet before HELLO
        assertClosedAfterSending(a.localPort(), frame(new byte[] {ControlCodec.MARKER, 1, 1, 0, 5, 'a'})); // torn HELLO
        assertClosedAfterSending(a.localPort(), frame(new byte[] {ControlCodec.MARKER, 9, 1})); // unknown version

        ClusterMember b = start("bravo", 1, 0, loopback(a.localPort()), 2);
        await().atMost(FORMED).until(() -> oneViewOf(a, b));
        assertThat(a.failure()).isNull();
    }

    private static byte[] frame(byte[] body) {
        return ByteBuffer.allocate(4 + body.length).putInt(body.length).put(body).array();
    }

    private static void assertClosedAfterSending(int port, byte[] bytes) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(bytes);
            out.flush();
            InputStream in = s.getInputStream();
            int r;
            try {
                r = in.read();
            } catch (java.net.SocketException reset) {
                r = -1; // closed with a reset: closed all the same
            }
            assertThat(r).as("the node closes the connection").isEqualTo(-1);
        }
    }
}
