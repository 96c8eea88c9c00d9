package io.backplane.group.examples.twentyquestions;

import io.backplane.group.groups.GroupEffect;
import io.backplane.group.groups.GroupLayer;
import io.backplane.group.groups.GroupView;
import io.backplane.group.protocol.Effect;
import io.backplane.group.protocol.ProcessId;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * One member of the twenty-questions service, in the style of the ISIS example: every member holds the whole
 * database (joiners receive it by state transfer, as of their join), a question is a group RPC that every
 * member receives, and the members divide the work by their rank in the group view: the first
 * {@code workers} members each search one partition and answer, the others are hot standbys that send null
 * replies (so the caller, wanting every member's answer, knows they are there), ready to take a partition
 * in the next view when a worker fails. Things added by clients ("add") are group ABCASTs, so every
 * member's database stays the same.
 *
 * <p>Driven by {@link GroupEffect}s on the node's engine thread ({@link #accept}); answers go back through
 * {@code submit}, which queues work for the group layer on that thread.
 */
final class QuestionServer implements Consumer<GroupEffect> {
    private final long groupId;
    private final int workers;
    private final Consumer<String> log;
    private Consumer<Consumer<GroupLayer>> submit;
    private ProcessId self;
    private GroupView view;
    /** Null until this member holds the database (its state transfer completed). */
    private volatile Catalog catalog;
    private final ByteArrayOutputStream incoming = new ByteArrayOutputStream();
    private int chunksIn;
    private boolean joined;
    private volatile long answered;

    QuestionServer(long groupId, int workers, Consumer<String> log) {
        this.groupId = groupId;
        this.workers = workers;
        this.log = log;
    }

    /** Connects the server to its node: {@code submit} runs work against the group layer on the engine thread. */
    void attach(ProcessId self, Consumer<Consumer<GroupLayer>> submit) {
        this.self = self;
        this.submit = submit;
        joined = true;
        submit.accept(l -> l.joinWithState(groupId)); // sent once this process is in a LAN view
    }

    /** How many things the database holds here, or -1 before the state arrived. */
    int size() {
        Catalog c = catalog;
        return c == null ? -1 : c.size();
    }

    long answered() {
        return answered;
    }

    @Override
    public void accept(GroupEffect e) {
        if (e instanceof GroupEffect.Lan lan) {
            if (lan.effect() instanceof Effect.InstallView iv) {
                log.accept("LAN view " + iv.view());
            } else if (lan.effect() instanceof Effect.Excluded || lan.effect() instanceof Effect.Left) {
                log.accept("stopped: " + lan.effect() + " (restart to rejoin)");
            }
        } else if (e instanceof GroupEffect.ViewChange v && v.view().groupId() == groupId) {
            view = v.view();
            int rank = view.members().indexOf(self);
            int parts = Math.min(workers, view.members().size());
            log.accept("group view " + view.viewId() + " " + view.members() + ": "
                    + (rank < 0 ? "not a member" : rank < parts ? "worker for partition " + rank + "/" + parts
                    : "hot standby"));
        } else if (e instanceof GroupEffect.ApplyStateChunk c && c.groupId() == groupId) {
            incoming.writeBytes(c.bytes());
            chunksIn++;
        } else if (e instanceof GroupEffect.StateTransferred t && t.groupId() == groupId) {
            onTransferred(t);
        } else if (e instanceof GroupEffect.WriteState w && w.groupId() == groupId) {
            byte[] all = catalog.asOf(w.cutSeq());
            int from = (int) Math.min(w.offset(), all.length);
            int to = (int) Math.min((long) from + w.maxBytes(), all.length);
            byte[] chunk = java.util.Arrays.copyOfRange(all, from, to);
            submit.accept(l -> l.stateChunk(w, chunk));
            if (w.offset() == 0) {
                log.accept("donor: writing the database as of message " + w.cutSeq() + " to " + w.joiner());
            }
        } else if (e instanceof GroupEffect.Call c && c.callId().groupId() == groupId) {
            answer(c);
        } else if (e instanceof GroupEffect.Deliver d && d.groupId() == groupId) {
            String text = new String(d.payload(), StandardCharsets.UTF_8);
            if (text.startsWith("add ") && catalog != null) {
                try {
                    catalog.add(Catalog.parseThing(text.substring(4), d.seq()));
                    log.accept("added " + text.substring(4));
                } catch (IllegalArgumentException ex) {
                    log.accept("ignored a bad add: " + ex.getMessage()); // every member ignores it alike
                }
            }
        }
    }

    private void onTransferred(GroupEffect.StateTransferred t) {
        switch (t.outcome()) {
            case COMPLETE -> {
                if (incoming.size() == 0) {
                    catalog = Catalog.builtIn(); // this member founded the group
                    log.accept("founded the group: database of " + catalog.size() + " built-in things");
                } else {
                    catalog = Catalog.fromBytes(incoming.toByteArray());
                    log.accept("state transfer: " + catalog.size() + " things as of message " + t.cutSeq() + " in "
                            + chunksIn + " chunks");
                }
            }
            case LOST -> {
                catalog = Catalog.builtIn(); // every member does the same at the same view
                log.accept("the group's state was lost (every holder failed mid-transfer): starting again from "
                        + "the built-in database");
            }
            case NO_DONOR -> {
                catalog = null;
                log.accept("every member holding the state as of my join left; joining again");
                submit.accept(l -> {
                    l.leave(groupId);
                    l.joinWithState(groupId);
                });
            }
            case ABANDONED -> catalog = null;
        }
        incoming.reset();
        chunksIn = 0;
    }

    private void answer(GroupEffect.Call c) {
        int rank = view == null ? -1 : view.members().indexOf(self);
        int parts = view == null ? 0 : Math.min(workers, view.members().size());
        String question = new String(c.payload(), StandardCharsets.UTF_8);
        Catalog db = catalog;
        if (rank < 0 || c.groupViewId() != view.viewId()) {
            return; // not a possible replier of this call
        }
        if (rank >= parts) {
            submit.accept(l -> l.nullReply(c)); // a hot standby: here, with nothing to say
            return;
        }
        String reply;
        if (db == null) {
            reply = "error: no database here yet";
        } else {
            try {
                Map<String, String> q = Catalog.parseQuestion(question);
                List<String> names = db.search(q, rank, parts);
                reply = rank + "/" + parts + ":" + String.join(",", names);
            } catch (IllegalArgumentException ex) {
                reply = "error: " + ex.getMessage();
            }
        }
        answered++;
        byte[] bytes = reply.getBytes(StandardCharsets.UTF_8);
        submit.accept(l -> l.reply(c, bytes));
    }
}
