package io.backplane.group.protocol;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The coordinator's side of ending a view (the Paxos proposer): one attempt at a time, identified by its
 * ballot. Phase 1 collects a {@code FlushOk} from every survivor; the proposal is then either the
 * highest-ballot proposal some survivor already accepted (it may have been chosen, so it must be kept) or
 * a new one built from the replies; phase 2 needs accepts from a majority of the old view. It decides;
 * the {@link Engine} sends.
 */
final class ViewChangeProposer {
    /** Where the current attempt stands. */
    enum Phase {
        IDLE, COLLECTING, PROPOSING;

        boolean canMoveTo(Phase next) {
            return switch (this) {
                case IDLE -> next == COLLECTING || next == IDLE;
                case COLLECTING -> true;
                case PROPOSING -> next == IDLE || next == COLLECTING;
            };
        }
    }

    private Phase phase = Phase.IDLE;
    private String phaseReason = "created";
    private Ballot ballot = Ballot.ZERO;
    private long phaseStartTick;
    private List<ProcessId> survivors = List.of();
    private List<ProcessId> joiners = List.of();
    private List<ProcessId> leavers = List.of();
    private final Map<ProcessId, Frame.FlushOk> replies = new TreeMap<>();
    private final SortedSet<ProcessId> accepts = new TreeSet<>();
    private Proposal proposing;

    Phase phase() {
        return phase;
    }

    boolean isActive() {
        return phase != Phase.IDLE;
    }

    Ballot ballot() {
        return ballot;
    }

    List<ProcessId> survivors() {
        return survivors;
    }

    boolean timedOut(long nowTick, int flushTimeoutTicks) {
        return isActive() && nowTick - phaseStartTick > flushTimeoutTicks;
    }

    /** Survivors that have not answered the current phase. */
    List<ProcessId> silentSurvivors() {
        List<ProcessId> out = new ArrayList<>();
        for (ProcessId s : survivors) {
            boolean answered = phase == Phase.COLLECTING ? replies.containsKey(s) : accepts.contains(s);
            if (!answered) {
                out.add(s);
            }
        }
        return out;
    }

    /** Starts phase 1 of a new attempt. Leavers are survivors too: they take part, then go. */
    void begin(Ballot newBallot, List<ProcessId> survivorsNow, List<ProcessId> joinersNow, List<ProcessId> leaversNow,
               long nowTick, String why) {
        ballot = newBallot;
        survivors = List.copyOf(survivorsNow);
        joiners = List.copyOf(joinersNow);
        leavers = List.copyOf(leaversNow);
        replies.clear();
        accepts.clear();
        proposing = null;
        phase(Phase.COLLECTING, why, nowTick);
    }

    void abandon(String why, long nowTick) {
        if (isActive()) {
            phase(Phase.IDLE, why, nowTick);
        }
    }

    /**
     * Records a phase-1 reply. Once every survivor has answered, returns the proposal to put to phase 2
     * (and moves to it); otherwise null.
     */
    Proposal onFlushOk(ProcessId from, Frame.FlushOk ok, View view, ProcessId self, long nowTick) {
        if (phase != Phase.COLLECTING || !ok.ballot().equals(ballot)) {
            return null;
        }
        replies.put(from, ok);
        if (!replies.keySet().containsAll(survivors)) {
            return null;
        }
        Proposal chosen = null;
        Ballot chosenBallot = Ballot.ZERO;
        for (Frame.FlushOk r : replies.values()) {
            if (r.accepted() != null && r.acceptedBallot().greaterThan(chosenBallot)) {
                chosen = r.accepted();
                chosenBallot = r.acceptedBallot();
            }
        }
        proposing = chosen != null ? chosen : build(view, self);
        phase(Phase.PROPOSING, "collected all survivors", nowTick);
        return proposing;
    }

    /** Records an accept; once a majority of the old view accepted, returns the chosen proposal, else null. */
    Proposal onAccept(ProcessId from, Ballot accepted, View view, long nowTick) {
        if (phase != Phase.PROPOSING || !accepted.equals(ballot)) {
            return null;
        }
        accepts.add(from);
        if (!view.isMajority(accepts.size())) {
            return null;
        }
        phase(Phase.IDLE, "chosen by a majority", nowTick);
        return proposing;
    }

    private Proposal build(View view, ProcessId self) {
        List<Frame.FlushOk> oks = new ArrayList<>();
        for (ProcessId s : survivors) {
            oks.add(replies.get(s));
        }
        FinalSetCalculator.FinalSet fs = FinalSetCalculator.compute(view, oks);
        List<ProcessId> next = new ArrayList<>();
        for (ProcessId s : survivors) {
            if (!leavers.contains(s)) {
                next.add(s);
            }
        }
        next.addAll(joiners);
        if (next.isEmpty()) {
            next.add(self); // everyone asked to leave at once: the coordinator stays to keep the group alive
        }
        List<ProcessId> leaving = new ArrayList<>(leavers);
        leaving.removeAll(next);
        return new Proposal(view.id(), view.members(), new View(view.id() + 1, next), leaving, fs.finalCount(),
                fs.messages(), fs.abcastBase(), fs.abcastOrder());
    }

    private void phase(Phase next, String why, long nowTick) {
        Invariants.check(phase.canMoveTo(next), "illegal coordinator transition", phase + "->" + next, why);
        phase = next;
        phaseReason = why;
        phaseStartTick = nowTick;
    }

    @Override
    public String toString() {
        return phase + " " + ballot + " (" + phaseReason + ")";
    }
}
