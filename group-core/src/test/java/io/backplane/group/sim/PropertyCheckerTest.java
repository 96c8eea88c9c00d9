package io.backplane.group.sim;

import io.backplane.group.protocol.Kind;
import io.backplane.group.protocol.MessageId;
import io.backplane.group.protocol.ProcessId;
import io.backplane.group.protocol.View;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The checker on hand-written traces: each property is reported when, and only when, it is broken. */
class PropertyCheckerTest {
    private final ProcessId a = new ProcessId(0, 1);
    private final ProcessId b = new ProcessId(1, 1);
    private final ProcessId c = new ProcessId(2, 1);
    private final View v1 = new View(1, List.of(a, b, c));
    private final List<TraceEvent> t = new ArrayList<>();
    private long tick;

    private void install(ProcessId p, View v) {
        t.add(new TraceEvent(++tick, TraceEvent.Type.INSTALL, p, v, null, 0, null, ""));
    }

    private MessageId send(ProcessId p, long seq, long view, Kind kind) {
        MessageId id = new MessageId(p, seq);
        t.add(new TraceEvent(++tick, TraceEvent.Type.SEND, p, null, id, view, kind, ""));
        return id;
    }

    private void deliver(ProcessId p, MessageId id, long view, Kind kind) {
        t.add(new TraceEvent(++tick, TraceEvent.Type.DELIVER, p, null, id, view, kind, ""));
    }

    private List<Property> check() {
        return PropertyChecker.checkSafety(t).stream().map(Violation::property).distinct().toList();
    }

    private void allInstall(View v) {
        for (ProcessId p : v.members()) {
            install(p, v);
        }
    }

    @Test
    void aCleanTracePasses() {
        allInstall(v1);
        MessageId m = send(a, 1, 1, Kind.ABCAST);
        for (ProcessId p : v1.members()) {
            deliver(p, m, 1, Kind.ABCAST);
        }
        allInstall(new View(2, List.of(a, b, c)));
        assertThat(check()).isEmpty();
    }

    @Test
    void causalOrderIsRecomputedFromTheTraceNotFromTimestamps() {
        allInstall(v1);
        MessageId q = send(a, 1, 1, Kind.CBCAST);
        deliver(a, q, 1, Kind.CBCAST);
        deliver(b, q, 1, Kind.CBCAST);
        MessageId answer = send(b, 1, 1, Kind.CBCAST);
        deliver(c, answer, 1, Kind.CBCAST);
        deliver(c, q, 1, Kind.CBCAST);
        assertThat(check()).contains(Property.CAUSAL_ORDER);
    }

    @Test
    void twoOrdersOfTheSameAbcastsAreATotalOrderViolation() {
        allInstall(v1);
        MessageId x = send(a, 1, 1, Kind.ABCAST);
        MessageId y = send(b, 1, 1, Kind.ABCAST);
        deliver(a, x, 1, Kind.ABCAST);
        deliver(a, y, 1, Kind.ABCAST);
        deliver(b, y, 1, Kind.ABCAST);
        deliver(b, x, 1, Kind.ABCAST);
        assertThat(check()).contains(Property.TOTAL_ORDER);
    }

    @Test
    void differentSetsDeliveredBeforeTheSameViewChangeBreakViewSynchrony() {
        allInstall(v1);
        MessageId x = send(a, 1, 1, Kind.CBCAST);
        deliver(a, x, 1, Kind.CBCAST);
        allInstall(new View(2, List.of(a, b, c)));
        assertThat(check()).contains(Property.VIEW_SYNCHRONY, Property.RELIABILITY);
    }

    @Test
    void viewPropertiesAreChecked() {
        install(a, v1);
        install(b, new View(1, List.of(a, b)));
        install(a, new View(2, List.of(b, c)));
        install(c, new View(1, List.of(a, b, c)));
        install(c, new View(1, List.of(a, b, c)));
        install(c, new View(5, List.of(c))); // keeps 1 of 3
        assertThat(check()).contains(Property.SELF_INCLUSION, Property.VIEW_AGREEMENT, Property.MONOTONE_VIEWS,
                Property.PRIMARY_MAJORITY);
    }

    @Test
    void deliveryIntegrityDuplicationAndSendingViewAreChecked() {
        allInstall(v1);
        deliver(a, new MessageId(c, 7), 1, Kind.CBCAST);
        MessageId x = send(a, 1, 1, Kind.CBCAST);
        deliver(a, x, 1, Kind.CBCAST);
        deliver(a, x, 1, Kind.CBCAST);
        install(b, new View(2, List.of(a, b, c)));
        deliver(b, x, 2, Kind.CBCAST);
        assertThat(check()).contains(Property.INTEGRITY, Property.NO_DUPLICATION, Property.SENDING_VIEW_DELIVERY);
    }

    @Test
    void aSenderThatMovesOnWithoutDeliveringItsOwnMessageBreaksSelfDelivery() {
        allInstall(v1);
        send(a, 1, 1, Kind.CBCAST);
        allInstall(new View(2, List.of(a, b, c)));
        assertThat(check()).contains(Property.SELF_DELIVERY);
    }
}
