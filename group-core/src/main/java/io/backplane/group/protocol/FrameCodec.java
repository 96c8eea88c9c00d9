package io.backplane.group.protocol;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Binary codec of {@link Packet}: a version byte, a type tag, then fields in declaration order, big-endian.
 * Decoding rejects an unknown version or tag with {@link IllegalArgumentException} (bad input is an
 * operating error, not a programmer error). Layout documented in docs/WIRE.md.
 *
 * <p>Encoding runs the same writer twice, first only counting bytes and then filling an array of exactly
 * that size, so a packet costs one allocation and each payload is copied once (the stream-based codec it
 * replaced grew and copied its buffer several times per 1,000-byte message and was a fifth of a member's
 * CPU under load). Decoding reads a heap {@link ByteBuffer}; running off its end is a truncated packet.
 */
public final class FrameCodec {
    public static final byte VERSION = 3;
    /** Bound on any list or byte array length read from the wire, so a corrupt length cannot exhaust memory. */
    public static final int LENGTH_MAX = 16 * 1024 * 1024;

    private FrameCodec() {
    }

    /** Bytes of a packet before its frame: version, from, to, seq, ack, epoch, ackEpoch. */
    public static final int HEADER_BYTES = 1 + 8 + 8 + 8 + 8 + 8 + 8;

    public static byte[] encode(Packet p) {
        Out counter = new Out(null);
        writeHeader(counter, p);
        writeFrame(counter, p.frame());
        Out out = new Out(new byte[counter.pos]);
        writeHeader(out, p);
        writeFrame(out, p.frame());
        return out.bytes;
    }

    /**
     * The first {@link #HEADER_BYTES} of {@code encode(p)}. With {@link #encodeFrame} it lets a host encode
     * a frame sent to several peers (a {@code DataBatch}) once and send it after each peer's own header:
     * {@code encode(p)} equals {@code encodeHeader(p)} followed by {@code encodeFrame(p.frame())}.
     */
    public static byte[] encodeHeader(Packet p) {
        Out out = new Out(new byte[HEADER_BYTES]);
        writeHeader(out, p);
        return out.bytes;
    }

    /** The bytes of {@code encode(p)} after the header: the frame's tag and fields. */
    public static byte[] encodeFrame(Frame f) {
        Out counter = new Out(null);
        writeFrame(counter, f);
        Out out = new Out(new byte[counter.pos]);
        writeFrame(out, f);
        return out.bytes;
    }

    private static void writeHeader(Out out, Packet p) {
        out.writeByte(VERSION);
        writePid(out, p.from());
        writePid(out, p.to());
        out.writeLong(p.seq());
        out.writeLong(p.ack());
        out.writeLong(p.epoch());
        out.writeLong(p.ackEpoch());
    }

    public static Packet decode(byte[] data) {
        return decode(ByteBuffer.wrap(data));
    }

    /** Decodes exactly the remaining bytes of {@code in} (a heap or direct buffer, big-endian). */
    public static Packet decode(ByteBuffer in) {
        try {
            byte version = in.get();
            if (version != VERSION) {
                throw new IllegalArgumentException("unsupported wire version " + version);
            }
            ProcessId from = readPid(in);
            ProcessId to = readPid(in);
            long seq = in.getLong();
            long ack = in.getLong();
            long epoch = in.getLong();
            long ackEpoch = in.getLong();
            Frame frame = readFrame(in);
            if (in.hasRemaining()) {
                throw new IllegalArgumentException("trailing bytes after frame");
            }
            return new Packet(from, to, seq, ack, frame, epoch, ackEpoch);
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("truncated packet", e);
        } catch (Invariants.InvariantViolation e) {
            // well-formed bytes naming an impossible value (a view listing a member twice, a negative
            // node): refused like any malformed packet, never thrown at the transport thread
            throw new IllegalArgumentException("invalid packet: " + e.getMessage(), e);
        }
    }

    /**
     * Big-endian writer into an exactly sized array; with a null array it only counts, which is how
     * {@link #encode} learns the size.
     */
    private static final class Out {
        private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
        private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
        final byte[] bytes;
        int pos;

        Out(byte[] bytes) {
            this.bytes = bytes;
        }

        void writeByte(int v) {
            if (bytes != null) {
                bytes[pos] = (byte) v;
            }
            pos++;
        }

        void writeBoolean(boolean v) {
            writeByte(v ? 1 : 0);
        }

        void writeInt(int v) {
            if (bytes != null) {
                INT.set(bytes, pos, v);
            }
            pos += 4;
        }

        void writeLong(long v) {
            if (bytes != null) {
                LONG.set(bytes, pos, v);
            }
            pos += 8;
        }

        void write(byte[] b) {
            if (bytes != null) {
                System.arraycopy(b, 0, bytes, pos, b.length);
            }
            pos += b.length;
        }
    }

    private static void writeFrame(Out out, Frame f) {
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
        } else if (f instanceof Frame.DataBatch b) {
            out.writeByte(16);
            out.writeLong(b.viewId());
            writeMessages(out, b.messages());
        } else if (f instanceof Frame.Direct d) {
            out.writeByte(17);
            out.writeLong(d.viewId());
            out.writeInt(d.payload().length);
            out.write(d.payload());
        } else {
            throw new IllegalStateException("unencodable frame " + f);
        }
    }

    private static Frame readFrame(ByteBuffer in) {
        int tag = in.get();
        return switch (tag) {
            case 1 -> new Frame.Heartbeat(in.getLong(), in.getLong());
            case 2 -> new Frame.AckOnly();
            case 3 -> new Frame.JoinRequest();
            case 4 -> new Frame.LeaveRequest(in.getLong());
            case 5 -> new Frame.NotMember(in.getLong());
            case 6 -> new Frame.Data(readMessage(in, null));
            case 7 -> new Frame.OrderBatch(in.getLong(), in.getLong(), readIds(in));
            case 8 -> new Frame.Stability(in.getLong(), readLongs(in), in.getLong());
            case 9 -> new Frame.Suspect(in.getLong(), readPids(in));
            case 10 -> new Frame.FlushStart(in.getLong(), readBallot(in));
            case 11 -> {
                long viewId = in.getLong();
                Ballot ballot = readBallot(in);
                long[] delivered = readLongs(in);
                long abcastDelivered = in.getLong();
                List<Message> held = readMessages(in);
                long orderBase = in.getLong();
                List<MessageId> order = readIds(in);
                Ballot acceptedBallot = readBallot(in);
                Proposal accepted = readBoolean(in) ? readProposal(in) : null;
                yield new Frame.FlushOk(viewId, ballot, delivered, abcastDelivered, held, orderBase, order,
                        acceptedBallot, accepted);
            }
            case 12 -> new Frame.FlushNack(in.getLong(), readBallot(in));
            case 13 -> new Frame.Propose(in.getLong(), readBallot(in), readProposal(in));
            case 14 -> new Frame.Accept(in.getLong(), readBallot(in));
            case 15 -> new Frame.Commit(readProposal(in));
            case 16 -> readDataBatch(in);
            case 17 -> {
                long viewId = in.getLong();
                byte[] payload = new byte[readLength(in)];
                in.get(payload);
                yield new Frame.Direct(viewId, payload);
            }
            default -> throw new IllegalArgumentException("unknown frame tag " + tag);
        };
    }

    private static boolean readBoolean(ByteBuffer in) {
        byte b = in.get();
        if (b != 0 && b != 1) {
            throw new IllegalArgumentException("bad boolean " + b);
        }
        return b == 1;
    }

    private static int readLength(ByteBuffer in) {
        int n = in.getInt();
        // every counted item takes at least one byte, so a count beyond the bytes left is corrupt
        if (n < 0 || n > LENGTH_MAX || n > in.remaining()) {
            throw new IllegalArgumentException("bad length " + n);
        }
        return n;
    }

    private static void writePid(Out out, ProcessId p) {
        out.writeInt(p.node());
        out.writeInt(p.incarnation());
    }

    private static ProcessId readPid(ByteBuffer in) {
        int node = in.getInt();
        int inc = in.getInt();
        if (node < 0 || inc < 0) {
            throw new IllegalArgumentException("bad process id");
        }
        return new ProcessId(node, inc);
    }

    private static void writePids(Out out, List<ProcessId> ps) {
        out.writeInt(ps.size());
        for (ProcessId p : ps) {
            writePid(out, p);
        }
    }

    private static List<ProcessId> readPids(ByteBuffer in) {
        int n = readLength(in);
        List<ProcessId> ps = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            ps.add(readPid(in));
        }
        return ps;
    }

    private static void writeBallot(Out out, Ballot b) {
        out.writeLong(b.round());
        writePid(out, b.proposer());
    }

    private static Ballot readBallot(ByteBuffer in) {
        return new Ballot(in.getLong(), readPid(in));
    }

    private static void writeLongs(Out out, long[] v) {
        out.writeInt(v.length);
        for (long x : v) {
            out.writeLong(x);
        }
    }

    private static long[] readLongs(ByteBuffer in) {
        long[] v = new long[readLength(in)];
        for (int i = 0; i < v.length; i++) {
            v[i] = in.getLong();
        }
        return v;
    }

    private static void writeIds(Out out, List<MessageId> ids) {
        out.writeInt(ids.size());
        for (MessageId id : ids) {
            writePid(out, id.sender());
            out.writeLong(id.seq());
        }
    }

    private static List<MessageId> readIds(ByteBuffer in) {
        int n = readLength(in);
        List<MessageId> ids = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            ids.add(new MessageId(readPid(in), in.getLong()));
        }
        return ids;
    }

    private static void writeMessage(Out out, Message m) {
        writePid(out, m.id().sender());
        out.writeLong(m.id().seq());
        out.writeLong(m.viewId());
        out.writeByte(m.kind().ordinal());
        writeLongs(out, m.vt());
        out.writeInt(m.payload().length);
        out.write(m.payload());
    }

    private static Message readMessage(ByteBuffer in, ProcessId previousSender) {
        ProcessId sender = readPid(in);
        if (sender.equals(previousSender)) {
            sender = previousSender; // a batch has one sender: share one object instead of one per message
        }
        MessageId id = new MessageId(sender, in.getLong());
        long viewId = in.getLong();
        int kind = in.get();
        if (kind < 0 || kind >= Kind.values().length) {
            throw new IllegalArgumentException("bad kind " + kind);
        }
        long[] vt = readLongs(in);
        byte[] payload = new byte[readLength(in)];
        in.get(payload);
        return new Message(id, viewId, Kind.values()[kind], vt, payload);
    }

    private static Frame.DataBatch readDataBatch(ByteBuffer in) {
        long viewId = in.getLong();
        List<Message> messages = readMessages(in);
        if (messages.isEmpty()) {
            throw new IllegalArgumentException("empty data batch");
        }
        for (Message m : messages) {
            if (m.viewId() != viewId || !m.id().sender().equals(messages.get(0).id().sender())) {
                throw new IllegalArgumentException("a data batch mixes senders or views");
            }
        }
        return new Frame.DataBatch(viewId, messages);
    }

    private static void writeMessages(Out out, List<Message> ms) {
        out.writeInt(ms.size());
        for (Message m : ms) {
            writeMessage(out, m);
        }
    }

    private static List<Message> readMessages(ByteBuffer in) {
        int n = readLength(in);
        List<Message> ms = new ArrayList<>(n);
        ProcessId previousSender = null;
        for (int i = 0; i < n; i++) {
            Message m = readMessage(in, previousSender);
            previousSender = m.id().sender();
            ms.add(m);
        }
        return ms;
    }

    private static void writeView(Out out, View v) {
        out.writeLong(v.id());
        writePids(out, v.members());
    }

    private static View readView(ByteBuffer in) {
        long id = in.getLong();
        List<ProcessId> members = readPids(in);
        if (id < 1 || members.isEmpty()) {
            throw new IllegalArgumentException("bad view");
        }
        return new View(id, members);
    }

    private static void writeProposal(Out out, Proposal p) {
        out.writeLong(p.prevViewId());
        writePids(out, p.prevMembers());
        writeView(out, p.next());
        writePids(out, p.leavers());
        writeLongs(out, p.finalCount());
        writeMessages(out, p.messages());
        out.writeLong(p.abcastBase());
        writeIds(out, p.abcastOrder());
    }

    private static Proposal readProposal(ByteBuffer in) {
        long prevViewId = in.getLong();
        List<ProcessId> prevMembers = readPids(in);
        View next = readView(in);
        List<ProcessId> leavers = readPids(in);
        long[] finalCount = readLongs(in);
        List<Message> messages = readMessages(in);
        long abcastBase = in.getLong();
        List<MessageId> order = readIds(in);
        if (next.id() != prevViewId + 1 || finalCount.length != prevMembers.size()) {
            throw new IllegalArgumentException("inconsistent proposal");
        }
        return new Proposal(prevViewId, prevMembers, next, leavers, finalCount, messages, abcastBase, order);
    }
}
