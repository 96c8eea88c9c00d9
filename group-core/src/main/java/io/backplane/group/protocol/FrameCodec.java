package io.backplane.group.protocol;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Binary codec of {@link Packet}: a version byte, a type tag, then fields in declaration order, big-endian.
 * Decoding rejects an unknown version or tag with {@link IllegalArgumentException} (bad input is an
 * operating error, not a programmer error). Layout documented in docs/WIRE.md.
 */
public final class FrameCodec {
    public static final byte VERSION = 2;
    /** Bound on any list or byte array length read from the wire, so a corrupt length cannot exhaust memory. */
    public static final int LENGTH_MAX = 16 * 1024 * 1024;

    private FrameCodec() {
    }

    public static byte[] encode(Packet p) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(VERSION);
            writePid(out, p.from());
            writePid(out, p.to());
            out.writeLong(p.seq());
            out.writeLong(p.ack());
            out.writeLong(p.epoch());
            out.writeLong(p.ackEpoch());
            writeFrame(out, p.frame());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    public static Packet decode(byte[] data) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data))) {
            byte version = in.readByte();
            if (version != VERSION) {
                throw new IllegalArgumentException("unsupported wire version " + version);
            }
            ProcessId from = readPid(in);
            ProcessId to = readPid(in);
            long seq = in.readLong();
            long ack = in.readLong();
            long epoch = in.readLong();
            long ackEpoch = in.readLong();
            Frame frame = readFrame(in);
            if (in.available() != 0) {
                throw new IllegalArgumentException("trailing bytes after frame");
            }
            return new Packet(from, to, seq, ack, frame, epoch, ackEpoch);
        } catch (IOException e) {
            throw new IllegalArgumentException("truncated packet", e);
        }
    }

    private static void writeFrame(DataOutputStream out, Frame f) throws IOException {
        if (f instanceof Frame.Heartbeat h) {
            out.writeByte(1);
            out.writeLong(h.viewId());
            out.writeLong(h.promisedRound());
        } else if (f instanceof Frame.AckOnly) {
            out.writeByte(2);
        } else if (f instanceof Frame.JoinRequest) {
            out.writeByte(3);
        } else if (f instanceof Frame.LeaveRequest l) {
            out.writeByte(4);
            out.writeLong(l.viewId());
        } else if (f instanceof Frame.NotMember n) {
            out.writeByte(5);
            out.writeLong(n.viewId());
        } else if (f instanceof Frame.Data d) {
            out.writeByte(6);
            writeMessage(out, d.message());
        } else if (f instanceof Frame.OrderBatch o) {
            out.writeByte(7);
            out.writeLong(o.viewId());
            out.writeLong(o.firstOrdinal());
            writeIds(out, o.ids());
        } else if (f instanceof Frame.Stability s) {
            out.writeByte(8);
            out.writeLong(s.viewId());
            writeLongs(out, s.delivered());
            out.writeLong(s.abcastDelivered());
        } else if (f instanceof Frame.Suspect s) {
            out.writeByte(9);
            out.writeLong(s.viewId());
            writePids(out, s.suspects());
        } else if (f instanceof Frame.FlushStart s) {
            out.writeByte(10);
            out.writeLong(s.viewId());
            writeBallot(out, s.ballot());
        } else if (f instanceof Frame.FlushOk k) {
            out.writeByte(11);
            out.writeLong(k.viewId());
            writeBallot(out, k.ballot());
            writeLongs(out, k.delivered());
            out.writeLong(k.abcastDelivered());
            writeMessages(out, k.held());
            out.writeLong(k.orderBase());
            writeIds(out, k.order());
            writeBallot(out, k.acceptedBallot());
            out.writeBoolean(k.accepted() != null);
            if (k.accepted() != null) {
                writeProposal(out, k.accepted());
            }
        } else if (f instanceof Frame.FlushNack n) {
            out.writeByte(12);
            out.writeLong(n.viewId());
            writeBallot(out, n.promised());
        } else if (f instanceof Frame.Propose p) {
            out.writeByte(13);
            out.writeLong(p.viewId());
            writeBallot(out, p.ballot());
            writeProposal(out, p.proposal());
        } else if (f instanceof Frame.Accept a) {
            out.writeByte(14);
            out.writeLong(a.viewId());
            writeBallot(out, a.ballot());
        } else if (f instanceof Frame.Commit c) {
            out.writeByte(15);
            writeProposal(out, c.proposal());
        } else {
            throw new IllegalStateException("unencodable frame " + f);
        }
    }

    private static Frame readFrame(DataInputStream in) throws IOException {
        int tag = in.readByte();
        return switch (tag) {
            case 1 -> new Frame.Heartbeat(in.readLong(), in.readLong());
            case 2 -> new Frame.AckOnly();
            case 3 -> new Frame.JoinRequest();
            case 4 -> new Frame.LeaveRequest(in.readLong());
            case 5 -> new Frame.NotMember(in.readLong());
            case 6 -> new Frame.Data(readMessage(in));
            case 7 -> new Frame.OrderBatch(in.readLong(), in.readLong(), readIds(in));
            case 8 -> new Frame.Stability(in.readLong(), readLongs(in), in.readLong());
            case 9 -> new Frame.Suspect(in.readLong(), readPids(in));
            case 10 -> new Frame.FlushStart(in.readLong(), readBallot(in));
            case 11 -> {
                long viewId = in.readLong();
                Ballot ballot = readBallot(in);
                long[] delivered = readLongs(in);
                long abcastDelivered = in.readLong();
                List<Message> held = readMessages(in);
                long orderBase = in.readLong();
                List<MessageId> order = readIds(in);
                Ballot acceptedBallot = readBallot(in);
                Proposal accepted = in.readBoolean() ? readProposal(in) : null;
                yield new Frame.FlushOk(viewId, ballot, delivered, abcastDelivered, held, orderBase, order,
                        acceptedBallot, accepted);
            }
            case 12 -> new Frame.FlushNack(in.readLong(), readBallot(in));
            case 13 -> new Frame.Propose(in.readLong(), readBallot(in), readProposal(in));
            case 14 -> new Frame.Accept(in.readLong(), readBallot(in));
            case 15 -> new Frame.Commit(readProposal(in));
            default -> throw new IllegalArgumentException("unknown frame tag " + tag);
        };
    }

    private static int readLength(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > LENGTH_MAX) {
            throw new IllegalArgumentException("bad length " + n);
        }
        return n;
    }

    private static void writePid(DataOutputStream out, ProcessId p) throws IOException {
        out.writeInt(p.node());
        out.writeInt(p.incarnation());
    }

    private static ProcessId readPid(DataInputStream in) throws IOException {
        int node = in.readInt();
        int inc = in.readInt();
        if (node < 0 || inc < 0) {
            throw new IllegalArgumentException("bad process id");
        }
        return new ProcessId(node, inc);
    }

    private static void writePids(DataOutputStream out, List<ProcessId> ps) throws IOException {
        out.writeInt(ps.size());
        for (ProcessId p : ps) {
            writePid(out, p);
        }
    }

    private static List<ProcessId> readPids(DataInputStream in) throws IOException {
        int n = readLength(in);
        List<ProcessId> ps = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            ps.add(readPid(in));
        }
        return ps;
    }

    private static void writeBallot(DataOutputStream out, Ballot b) throws IOException {
        out.writeLong(b.round());
        writePid(out, b.proposer());
    }

    private static Ballot readBallot(DataInputStream in) throws IOException {
        return new Ballot(in.readLong(), readPid(in));
    }

    private static void writeLongs(DataOutputStream out, long[] v) throws IOException {
        out.writeInt(v.length);
        for (long x : v) {
            out.writeLong(x);
        }
    }

    private static long[] readLongs(DataInputStream in) throws IOException {
        long[] v = new long[readLength(in)];
        for (int i = 0; i < v.length; i++) {
            v[i] = in.readLong();
        }
        return v;
    }

    private static void writeIds(DataOutputStream out, List<MessageId> ids) throws IOException {
        out.writeInt(ids.size());
        for (MessageId id : ids) {
            writePid(out, id.sender());
            out.writeLong(id.seq());
        }
    }

    private static List<MessageId> readIds(DataInputStream in) throws IOException {
        int n = readLength(in);
        List<MessageId> ids = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            ids.add(new MessageId(readPid(in), in.readLong()));
        }
        return ids;
    }

    private static void writeMessage(DataOutputStream out, Message m) throws IOException {
        writePid(out, m.id().sender());
        out.writeLong(m.id().seq());
        out.writeLong(m.viewId());
        out.writeByte(m.kind().ordinal());
        writeLongs(out, m.vt());
        out.writeInt(m.payload().length);
        out.write(m.payload());
    }

    private static Message readMessage(DataInputStream in) throws IOException {
        MessageId id = new MessageId(readPid(in), in.readLong());
        long viewId = in.readLong();
        int kind = in.readByte();
        if (kind < 0 || kind >= Kind.values().length) {
            throw new IllegalArgumentException("bad kind " + kind);
        }
        long[] vt = readLongs(in);
        byte[] payload = new byte[readLength(in)];
        in.readFully(payload);
        return new Message(id, viewId, Kind.values()[kind], vt, payload);
    }

    private static void writeMessages(DataOutputStream out, List<Message> ms) throws IOException {
        out.writeInt(ms.size());
        for (Message m : ms) {
            writeMessage(out, m);
        }
    }

    private static List<Message> readMessages(DataInputStream in) throws IOException {
        int n = readLength(in);
        List<Message> ms = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            ms.add(readMessage(in));
        }
        return ms;
    }

    private static void writeView(DataOutputStream out, View v) throws IOException {
        out.writeLong(v.id());
        writePids(out, v.members());
    }

    private static View readView(DataInputStream in) throws IOException {
        long id = in.readLong();
        List<ProcessId> members = readPids(in);
        if (id < 1 || members.isEmpty()) {
            throw new IllegalArgumentException("bad view");
        }
        return new View(id, members);
    }

    private static void writeProposal(DataOutputStream out, Proposal p) throws IOException {
        out.writeLong(p.prevViewId());
        writePids(out, p.prevMembers());
        writeView(out, p.next());
        writePids(out, p.leavers());
        writeLongs(out, p.finalCount());
        writeMessages(out, p.messages());
        out.writeLong(p.abcastBase());
        writeIds(out, p.abcastOrder());
    }

    private static Proposal readProposal(DataInputStream in) throws IOException {
        long prevViewId = in.readLong();
        List<ProcessId> prevMembers = readPids(in);
        View next = readView(in);
        List<ProcessId> leavers = readPids(in);
        long[] finalCount = readLongs(in);
        List<Message> messages = readMessages(in);
        long abcastBase = in.readLong();
        List<MessageId> order = readIds(in);
        if (next.id() != prevViewId + 1 || finalCount.length != prevMembers.size()) {
            throw new IllegalArgumentException("inconsistent proposal");
        }
        return new Proposal(prevViewId, prevMembers, next, leavers, finalCount, messages, abcastBase, order);
    }
}
