package io.backplane.wan;

import java.util.ArrayList;
import java.util.List;

/**
 * The sending side of one WAN link for one activation of a spooler (one epoch), as a state machine
 * without I/O: the link glue calls {@link #onConnected}, {@link #onFrame}, {@link #poll} and
 * {@link #onDisconnected}, and writes the frames they return. Not thread safe: one thread drives it.
 *
 * <p>Go-back-N over an ordered stream: up to {@code windowFrames} data frames beyond the last
 * acknowledgement are in flight; when no acknowledgement makes progress for {@code resendAfterMillis}
 * while frames are in flight, sending restarts at the first unacknowledged seq (the receiver drops
 * frames that do not come in order and suppresses those it has already applied). After a reconnection
 * it restarts from {@code max(acknowledged, welcome hint) + 1}.
 */
public final class WanSender {
    /** What the sender asks of its owner besides frames to write. */
    public interface Listener {
        /** The peer LAN holds every spool seq up to {@code through} durably: the spool may be trimmed. */
        void acknowledged(long through);

        /** The peer refused this sender (e.g. a newer epoch exists); the link is closed. */
        void refused(String reason);
    }

    public record Config(int windowFrames, long resendAfterMillis, long pingEveryMillis, long deadAfterMillis) {
        public static Config defaults() {
            return new Config(4096, 3000, 1000, 6000);
        }
    }

    private final String originLan;
    private final String peerLan;
    private final long epoch;
    private final String node;
    private final Config config;
    private final Listener listener;

    private long ackedThrough = -1; // unknown until the spool is first read
    private long nextToSend;
    private boolean connected;
    private boolean welcomed;
    private long lastProgressMillis;
    private long lastReceivedMillis;
    private long lastPingMillis;
    private long lastRttMillis = -1;

    // Counters (read by metrics from other threads; written by the driving thread only).
    private volatile long framesSent;
    private volatile long framesResent;
    private volatile long bytesSent;
    private volatile long resends;

    public WanSender(String originLan, String peerLan, long epoch, String node, Config config, Listener listener) {
        this.originLan = originLan;
        this.peerLan = peerLan;
        this.epoch = epoch;
        this.node = node;
        this.config = config;
        this.listener = listener;
    }

    public long epoch() {
        return epoch;
    }

    public List<WanFrame> onConnected(long nowMillis) {
        connected = true;
        welcomed = false;
        lastReceivedMillis = nowMillis;
        lastPingMillis = nowMillis;
        return List.of(new WanFrame.Hello(originLan, peerLan, epoch, node));
    }

    public void onDisconnected() {
        connected = false;
        welcomed = false;
    }

    public boolean isWelcomed() {
        return connected && welcomed;
    }

    /**
     * Handles a frame from the receiver; returns frames to write. Throws {@link WanProtocolException}
     * for a frame a receiver never sends or sends out of turn (the link is then closed).
     */
    public List<WanFrame> onFrame(WanFrame frame, long nowMillis, SpoolReader spool) {
        lastReceivedMillis = nowMillis;
        if (frame instanceof WanFrame.Welcome w) {
            if (!w.lan().equals(peerLan)) {
                throw new WanProtocolException("connected to LAN " + w.lan() + ", expected " + peerLan);
            }
            if (ackedThrough < 0) {
                ackedThrough = spool.firstSeq() - 1;
            }
            welcomed = true;
            // The hint only saves resending; trimming waits for a durable Ack.
            nextToSend = Math.max(ackedThrough, w.appliedHint()) + 1;
            lastProgressMillis = nowMillis;
            return List.of();
        }
        if (frame instanceof WanFrame.Ack a) {
            if (!welcomed) {
                throw new WanProtocolException("Ack before Welcome");
            }
            if (a.through() > ackedThrough) {
                ackedThrough = a.through();
                lastProgressMillis = nowMillis;
                if (nextToSend <= ackedThrough) {
                    nextToSend = ackedThrough + 1;
                }
                listener.acknowledged(ackedThrough);
            }
            return List.of();
        }
        if (frame instanceof WanFrame.Refuse r) {
            listener.refused(r.reason());
            return List.of();
        }
        if (frame instanceof WanFrame.Ping p) {
            return List.of(new WanFrame.Pong(p.value()));
        }
        if (frame instanceof WanFrame.Pong p) {
            lastRttMillis = nowMillis - p.value();
            return List.of();
        }
        throw new WanProtocolException("a receiver does not send " + frame.getClass().getSimpleName());
    }

    /**
     * What to write now: data frames within the window (resending from the first unacknowledged seq
     * when acknowledgements stalled) and heartbeats. {@code maxFrames} bounds one call's work.
     */
    public List<WanFrame> poll(long nowMillis, SpoolReader spool, int maxFrames) {
        List<WanFrame> out = new ArrayList<>();
        if (!connected) {
            return out;
        }
        if (nowMillis - lastPingMillis >= config.pingEveryMillis()) {
            lastPingMillis = nowMillis;
            out.add(new WanFrame.Ping(nowMillis));
        }
        if (!welcomed) {
            return out;
        }
        long inFlight = nextToSend - 1 - ackedThrough;
        if (inFlight > 0 && nowMillis - lastProgressMillis >= config.resendAfterMillis()) {
            framesResent += inFlight;
            resends++;
            nextToSend = ackedThrough + 1;
            lastProgressMillis = nowMillis;
            inFlight = 0;
        }
        long room = Math.min(config.windowFrames() - inFlight, maxFrames);
        if (room <= 0 || maxFrames <= 0) {
            return out;
        }
        if (nextToSend < spool.firstSeq()) {
            nextToSend = spool.firstSeq(); // trimmed: acknowledged already (possibly by a previous activation)
        }
        List<WanFrame.Data> entries = spool.read(nextToSend, (int) room);
        for (WanFrame.Data d : entries) {
            if (d.spoolSeq() != nextToSend) {
                throw new IllegalStateException("spool read returned seq " + d.spoolSeq() + " where " + nextToSend + " was expected");
            }
            out.add(d);
            nextToSend++;
            framesSent++;
            bytesSent += d.sizeBytes();
        }
        if (!entries.isEmpty() && inFlight == 0) {
            lastProgressMillis = nowMillis; // the resend clock starts with the first frame in flight
        }
        return out;
    }

    /** True when nothing came from the receiver for longer than the dead interval: close and reconnect. */
    public boolean isDead(long nowMillis) {
        return connected && nowMillis - lastReceivedMillis > config.deadAfterMillis();
    }

    public long ackedThrough() {
        return ackedThrough;
    }

    public long nextToSend() {
        return nextToSend;
    }

    public long framesSent() {
        return framesSent;
    }

    public long framesResent() {
        return framesResent;
    }

    public long resends() {
        return resends;
    }

    public long bytesSent() {
        return bytesSent;
    }

    public long lastRttMillis() {
        return lastRttMillis;
    }
}
