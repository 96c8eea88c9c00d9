package io.backplane.group.examples.twentyquestions;

import io.backplane.group.groups.CallId;
import io.backplane.group.groups.GroupEffect;
import io.backplane.group.groups.GroupLayer;
import io.backplane.group.groups.Want;
import io.backplane.group.protocol.Kind;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * A client of the twenty-questions service: a LAN member that is not in the group. A question is a group RPC
 * (a client's is ABCAST) wanting every member's reply; the answer is the union of the workers' partitions,
 * and it is complete only if every partition of the view the call was delivered in answered. If a member
 * fails while the call is out, the call ends in an error (its possible repliers shrank) and the client asks
 * again, in the next view, where the survivors have divided the work anew.
 */
final class QuestionClient implements Consumer<GroupEffect> {
    /** The answer to a question, and how many times it was asked before every partition answered. */
    record Answer(List<String> names, int attempts, long groupViewId) {
    }

    private final long groupId;
    private Consumer<Consumer<GroupLayer>> submit;
    private final Map<CallId, CompletableFuture<GroupEffect.RpcResult>> pending = new ConcurrentHashMap<>();

    QuestionClient(long groupId) {
        this.groupId = groupId;
    }

    void attach(Consumer<Consumer<GroupLayer>> submit) {
        this.submit = submit;
    }

    @Override
    public void accept(GroupEffect e) {
        if (e instanceof GroupEffect.RpcResult r) {
            CompletableFuture<GroupEffect.RpcResult> f = pending.remove(r.callId());
            if (f != null) {
                f.complete(r);
            }
        }
    }

    /** Whether this client's directory shows the group with members (so a question can be asked). */
    boolean ready() throws InterruptedException {
        CompletableFuture<Boolean> f = new CompletableFuture<>();
        submit.accept(l -> f.complete(l.isDirectoryReady() && l.groupView(groupId) != null));
        try {
            return f.get(5, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException ex) {
            return false;
        }
    }

    /** Adds a thing to the database (an ABCAST: ordered before this client's later questions). */
    void add(String thing) {
        Catalog.parseThing(thing, 0); // refuse a malformed one here
        byte[] bytes = ("add " + thing).getBytes(StandardCharsets.UTF_8);
        submit.accept(l -> l.multicast(groupId, Kind.ABCAST, bytes));
    }

    /** Asks until every partition answers or {@code timeoutMillis} passes (then throws TimeoutException). */
    Answer ask(String question, long timeoutMillis) throws InterruptedException, TimeoutException {
        Catalog.parseQuestion(question); // refuse a malformed question here
        byte[] bytes = question.getBytes(StandardCharsets.UTF_8);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        String last = "no attempt";
        for (int attempt = 1; System.nanoTime() < deadline; attempt++) {
            CompletableFuture<GroupEffect.RpcResult> f = new CompletableFuture<>();
            submit.accept(l -> pending.put(l.call(groupId, Kind.ABCAST, bytes, Want.ALL), f));
            GroupEffect.RpcResult r;
            try {
                r = f.get(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())), TimeUnit.MILLISECONDS);
            } catch (ExecutionException ex) {
                throw new IllegalStateException(ex);
            } catch (TimeoutException ex) {
                break; // the call itself never hangs; the deadline passed while it was out
            }
            if (r.ok()) {
                Answer a = combine(r, attempt);
                if (a != null) {
                    return a;
                }
                last = "incomplete replies " + describe(r);
            } else {
                last = r.error();
            }
            Thread.sleep(Math.min(200, 20L * attempt)); // a view change is under way: ask again in the next view
        }
        throw new TimeoutException("no complete answer to '" + question + "' (last: " + last + ")");
    }

    /** The union of the partitions, or null if a partition is missing or a worker had no database. */
    private static Answer combine(GroupEffect.RpcResult r, int attempt) {
        TreeSet<String> names = new TreeSet<>();
        TreeSet<Integer> parts = new TreeSet<>();
        int of = -1;
        for (GroupEffect.Reply reply : r.replies()) {
            String text = new String(reply.value(), StandardCharsets.UTF_8);
            int colon = text.indexOf(':');
            int slash = text.indexOf('/');
            if (text.startsWith("error") || colon < 0 || slash < 0 || slash > colon) {
                return null;
            }
            int part = Integer.parseInt(text.substring(0, slash));
            int n = Integer.parseInt(text.substring(slash + 1, colon));
            if (of >= 0 && n != of) {
                return null;
            }
            of = n;
            parts.add(part);
            for (String s : text.substring(colon + 1).split(",")) {
                if (!s.isEmpty()) {
                    names.add(s);
                }
            }
        }
        if (of <= 0 || parts.size() != of) {
            return null;
        }
        return new Answer(new ArrayList<>(names), attempt, r.groupViewId());
    }

    private static String describe(GroupEffect.RpcResult r) {
        List<String> out = new ArrayList<>();
        r.replies().forEach(x -> out.add(x.from() + "=" + new String(x.value(), StandardCharsets.UTF_8)));
        r.nullRepliers().forEach(p -> out.add(p + "=null"));
        return out.toString();
    }
}
