package io.backplane.node.cluster;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * What nodes of one LAN multicast to each other in the LAN group (docs/WIRE.md, "Replication").
 *
 * <ul>
 *   <li>{@link Post} (ABCAST): a client's post, forwarded by the node that took it. Its place in the
 *       LAN's total order decides its topic {@code seq} at every replica.</li>
 *   <li>{@link Mark} (CBCAST): "everything up to this place in the total order is durable here". A
 *       post is acknowledged, and shown to subscribers, once a majority has marked past it.</li>
 *   <li>{@link Status} (ABCAST): sent by every member at every view install: its era, whether it
 *       serves, and its per-topic state at the install. A joiner takes its cut from them.</li>
 * </ul>
 */
public sealed interface ReplicationMessage permits ReplicationMessage.Post, ReplicationMessage.Mark,
        ReplicationMessage.Status, ReplicationMessage.Promise, ReplicationMessage.WanTrim, ReplicationMessage.Mirror {
    byte POST = 1;
    byte MARK = 2;
    byte STATUS = 3;
    byte PROMISE = 4;
    byte WAN_TRIM = 5;
    byte MIRROR = 6;

    /**
     * A post as the taking node built it; {@code id} is unique across LANs and incarnations. {@code wan}
     * is set for a post spooled to this LAN by another one (null for a client's post).
     */
    record Post(String id, String topic, long timestampMillis, String idempotencyKey, byte[] contentTypeJson,
                byte[] envelopeTail, WanOrigin wan) implements ReplicationMessage {
        public Post(String id, String topic, long timestampMillis, String idempotencyKey, byte[] contentTypeJson,
                    byte[] envelopeTail) {
            this(id, topic, timestampMillis, idempotencyKey, contentTypeJson, envelopeTail, null);
        }
    }

    /** Where a spooled post comes from: its origin LAN, that LAN's sender epoch, and its spool seq there. */
    record WanOrigin(String originLan, long epoch, long spoolSeq) {
    }

    /**
     * (ABCAST) A message of another LAN's topic for this LAN's mirror of it (a remote subscription),
     * forwarded by the node whose link received it: {@code topic} is the mirror's internal name, and
     * {@code seq}, {@code id}, {@code timestampMillis} and {@code envelope} are the message as its own
     * LAN stored it. {@code requestedFrom} is what {@link io.backplane.node.topic.MirrorGate} needs to
     * tell a genuine jump from a broken stream.
     */
    record Mirror(String topic, long seq, long requestedFrom, String id, long timestampMillis, byte[] envelope)
            implements ReplicationMessage {
    }

    /** (CBCAST) LAN {@code lan} acknowledged this LAN's spool for it durably through {@code through}: every member may trim. */
    record WanTrim(String lan, long through) implements ReplicationMessage {
    }

    /** Durable here through ABCAST ordinal {@code ordinal} of view {@code viewId} (0 = everything before that view). */
    record Mark(long viewId, long ordinal) implements ReplicationMessage {
    }

    /** One topic's state: its last seq and the id of the message at it (empty when lastSeq is 0). */
    record TopicEntry(String topic, long lastSeq, String lastId) {
    }

    /**
     * A member's state at the install of view {@code viewId}: the era of the history it holds (see
     * {@link Replicator}), whether it serves (its history is the group's, up to the install), and
     * every topic it holds.
     */
    record Status(long viewId, long era, long promisedEra, boolean serving, List<TopicEntry> topics,
                  List<io.backplane.history.WanMark> wanMarks) implements ReplicationMessage {
        public Status {
            topics = List.copyOf(topics);
            wanMarks = List.copyOf(wanMarks);
        }

        public Status(long viewId, long era, long promisedEra, boolean serving, List<TopicEntry> topics) {
            this(viewId, era, promisedEra, serving, topics, List.of());
        }
    }

    /** "I recorded durably that I will hold no history of an era below {@code era}" (recovery, view {@code viewId}). */
    record Promise(long viewId, long era) implements ReplicationMessage {
    }

    static byte[] encode(ReplicationMessage m) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(m instanceof Post p ? 64 + p.envelopeTail.length
                : m instanceof Mirror r ? 64 + r.envelope.length : 64);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            if (m instanceof Post p) {
                out.writeByte(POST);
                out.writeUTF(p.id);
                out.writeUTF(p.topic);
                out.writeLong(p.timestampMillis);
                out.writeBoolean(p.idempotencyKey != null);
                if (p.idempotencyKey != null) {
                    out.writeUTF(p.idempotencyKey);
                }
                writeBytes(out, p.contentTypeJson);
                writeBytes(out, p.envelopeTail);
                out.writeBoolean(p.wan != null); // always present: a torn post never reads as a client's
                if (p.wan != null) {
                    out.writeUTF(p.wan.originLan());
                    out.writeLong(p.wan.epoch());
                    out.writeLong(p.wan.spoolSeq());
                }
            } else if (m instanceof Mark k) {
                out.writeByte(MARK);
                out.writeLong(k.viewId);
                out.writeLong(k.ordinal);
            } else if (m instanceof Status s) {
                out.writeByte(STATUS);
                out.writeLong(s.viewId);
                out.writeLong(s.era);
                out.writeLong(s.promisedEra);
                out.writeBoolean(s.serving);
                out.writeInt(s.topics.size());
                for (TopicEntry e : s.topics) {
                    out.writeUTF(e.topic);
                    out.writeLong(e.lastSeq);
                    out.writeUTF(e.lastId);
                }
                out.writeInt(s.wanMarks.size());
                for (io.backplane.history.WanMark wm : s.wanMarks) {
                    out.writeUTF(wm.originLan());
                    out.writeLong(wm.epoch());
                    out.writeLong(wm.spoolSeq());
                }
            } else if (m instanceof Promise p) {
                out.writeByte(PROMISE);
                out.writeLong(p.viewId);
                out.writeLong(p.era);
            } else if (m instanceof WanTrim t) {
                out.writeByte(WAN_TRIM);
                out.writeUTF(t.lan);
                out.writeLong(t.through);
            } else if (m instanceof Mirror r) {
                out.writeByte(MIRROR);
                out.writeUTF(r.topic);
                out.writeLong(r.seq);
                out.writeLong(r.requestedFrom);
                out.writeUTF(r.id);
                out.writeLong(r.timestampMillis);
                writeBytes(out, r.envelope);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayOutputStream does not throw
        }
        return bytes.toByteArray();
    }

    /** Decodes a message; throws {@link IllegalArgumentException} for bytes no node of ours wrote. */
    static ReplicationMessage decode(byte[] bytes) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            byte type = in.readByte();
            return switch (type) {
                case POST -> {
                    String id = in.readUTF();
                    String topic = in.readUTF();
                    long ts = in.readLong();
                    String key = in.readBoolean() ? in.readUTF() : null;
                    byte[] contentType = readBytes(in);
                    byte[] tail = readBytes(in);
                    WanOrigin wan = in.readBoolean() ? new WanOrigin(in.readUTF(), in.readLong(), in.readLong()) : null;
                    yield new Post(id, topic, ts, key, contentType, tail, wan);
                }
                case MARK -> new Mark(in.readLong(), in.readLong());
                case STATUS -> {
                    long viewId = in.readLong();
                    long era = in.readLong();
                    long promisedEra = in.readLong();
                    boolean serving = in.readBoolean();
                    int n = in.readInt();
                    if (n < 0) {
                        throw new IllegalArgumentException("negative topic count");
                    }
                    List<TopicEntry> topics = new ArrayList<>(Math.min(n, 1 << 16));
                    for (int i = 0; i < n; i++) {
                        topics.add(new TopicEntry(in.readUTF(), in.readLong(), in.readUTF()));
                    }
                    int marks = in.readInt();
                    if (marks < 0) {
                        throw new IllegalArgumentException("negative WAN mark count");
                    }
                    List<io.backplane.history.WanMark> wanMarks = new ArrayList<>(Math.min(marks, 1 << 10));
                    for (int i = 0; i < marks; i++) {
                        wanMarks.add(new io.backplane.history.WanMark(in.readUTF(), in.readLong(), in.readLong()));
                    }
                    yield new Status(viewId, era, promisedEra, serving, topics, wanMarks);
                }
                case PROMISE -> new Promise(in.readLong(), in.readLong());
                case WAN_TRIM -> new WanTrim(in.readUTF(), in.readLong());
                case MIRROR -> new Mirror(in.readUTF(), in.readLong(), in.readLong(), in.readUTF(), in.readLong(), readBytes(in));
                default -> throw new IllegalArgumentException("unknown replication message type " + type);
            };
        } catch (IOException e) {
            throw new IllegalArgumentException("truncated replication message", e);
        }
    }

    private static void writeBytes(DataOutputStream out, byte[] b) throws IOException {
        out.writeInt(b.length);
        out.write(b);
    }

    private static byte[] readBytes(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > in.available()) {
            throw new IOException("bad length " + n);
        }
        byte[] b = new byte[n];
        in.readFully(b);
        return b;
    }
}
