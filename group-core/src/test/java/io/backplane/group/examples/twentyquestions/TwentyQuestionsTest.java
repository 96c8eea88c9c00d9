package io.backplane.group.examples.twentyquestions;

import io.backplane.group.groups.GroupLayerConfig;
import io.backplane.group.runtime.ClusterMember;
import io.backplane.group.runtime.RuntimeConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The twenty-questions example over TCP on loopback, in one JVM: three servers form the group (the second and
 * third receive the database by state transfer), a client keeps asking while one worker is killed (its node
 * closed without leaving: the others see a crash), and every question is answered, completely and correctly;
 * the killed server comes back as a new incarnation, receives the database as of its join (with a thing added
 * meanwhile) and takes part again.
 */
class TwentyQuestionsTest {
    private static final Duration FORMED = Duration.ofSeconds(60);
    private final List<ClusterMember> nodes = Collections.synchronizedList(new ArrayList<>());

    @AfterEach
    void closeAll() {
        new ArrayList<>(nodes).forEach(ClusterMember::close);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private record Server(ClusterMember node, QuestionServer app) {
    }

    private Server server(String name, int port, String seeds, int incarnation) throws IOException {
        QuestionServer app = new QuestionServer(TwentyQuestions.GROUP, 2, line -> System.out.println(name + ": " + line));
        ClusterMember m = ClusterMember.withGroups(TwentyQuestions.config(name, port, seeds, incarnation)
                .engine(RuntimeConfig.starvationTolerantEngine()).build(), GroupLayerConfig.defaults(), app);
        app.attach(m.self(), m::groups);
        nodes.add(m);
        m.start();
        return new Server(m, app);
    }

    /** What the whole database answers, computed here from the same things, not by the service. */
    private static List<String> expected(Catalog db, String question) {
        return new ArrayList<>(new TreeSet<>(db.search(Catalog.parseQuestion(question), 0, 1)));
    }

    @Test
    void everyQuestionIsAnsweredCorrectlyWhileAWorkerIsKilledAndComesBackWithTheState() throws Exception {
        int[] ports = {freePort(), freePort(), freePort()};
        String seeds = "127.0.0.1:" + ports[0] + ",127.0.0.1:" + ports[1] + ",127.0.0.1:" + ports[2];
        List<Server> servers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            servers.add(server("tq-" + i, ports[i], seeds, 1));
        }
        await().atMost(FORMED).until(() -> servers.stream().allMatch(s -> s.app().size() == Catalog.builtIn().size()));

        QuestionClient client = new QuestionClient(TwentyQuestions.GROUP);
        ClusterMember asker = ClusterMember.withGroups(TwentyQuestions.config("tq-asker", freePort(), seeds, 1)
                .engine(RuntimeConfig.starvationTolerantEngine()).build(), GroupLayerConfig.defaults(), client);
        client.attach(asker::groups);
        nodes.add(asker);
        asker.start();
        await().atMost(FORMED).until(client::ready);

        Catalog db = Catalog.builtIn();
        String thing = "ferrari kind=mineral color=red size=medium legs=0 habitat=land";
        client.add(thing);
        db.add(Catalog.parseThing(thing, 1));
        String[] questions = {"color=red", "kind=animal legs=4", "habitat=water", "size=small color=yellow",
                "kind=vegetable"};

        // Which server is a worker (not the hot standby) depends on the join order: kill a worker.
        QuestionClient.Answer first = client.ask("color=red", 20_000);
        assertThat(first.names()).isEqualTo(expected(db, "color=red"));
        Server victim = servers.stream().filter(s -> s.app().answered() > 0).findFirst().orElseThrow();

        AtomicBoolean killed = new AtomicBoolean();
        int asked = 0;
        int retried = 0;
        long killAt = System.nanoTime() + 1_000_000_000L;
        long end = System.nanoTime() + 8_000_000_000L;
        while (System.nanoTime() < end) {
            if (!killed.get() && System.nanoTime() > killAt) {
                victim.node().close(); // a crash, as peers see it: no leave
                killed.set(true);
            }
            String q = questions[asked % questions.length];
            QuestionClient.Answer a = client.ask(q, 30_000);
            assertThat(a.names()).as("answer to %s (attempt %d, group view %d)", q, a.attempts(), a.groupViewId())
                    .isEqualTo(expected(db, q));
            asked++;
            retried += a.attempts() > 1 ? 1 : 0;
        }
        System.out.println(asked + " questions answered, " + retried + " after a retry, across the kill");
        assertThat(killed).isTrue();
        assertThat(asked).isGreaterThan(20);

        // The killed server comes back as a new incarnation and is given the database as of its join.
        int slot = servers.indexOf(victim);
        Server back = server("tq-" + slot, ports[slot], seeds, 2);
        await().atMost(FORMED).until(() -> back.app().size() == db.size());
        long before = back.app().answered() + servers.stream().filter(s -> s != victim).mapToLong(s -> s.app().answered()).sum();
        for (String q : questions) {
            assertThat(client.ask(q, 30_000).names()).isEqualTo(expected(db, q));
        }
        long after = back.app().answered() + servers.stream().filter(s -> s != victim).mapToLong(s -> s.app().answered()).sum();
        assertThat(after - before).as("worker answers to the last questions").isGreaterThanOrEqualTo(questions.length * 2L);
        assertThat(back.app().size()).as("things the restarted server holds").isEqualTo(Catalog.builtIn().size() + 1);
    }
}
