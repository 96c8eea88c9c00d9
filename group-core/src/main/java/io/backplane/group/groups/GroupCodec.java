package io.backplane.group.groups;

import io.backplane.group.protocol.ProcessId;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/** The byte layout of {@link GroupFrame}s inside LAN multicast payloads (docs/WIRE.md). */
final class GroupCodec {
    /** Format version of group payloads, independent of the packet version byte underneath. */
    static final byte VERSION = 1;
    static final int LENGTH_MAX = 16 * 1024 * 1024;

    private static final byte DATA = 1;
    private static final byte JOIN = 2;
    private static final byte LEAVE = 3;
    private static final byte FLUSH = 4;
    private static final byte SNAPSHOT = 5;
    private static final byte CALL = 6;
    private static final byte REPLY = 7;
    private static final byte JOIN_WITH_STATE = 8;
    private static final byte STATE_DONE = 9;
    private static final byte CHUNK_REQUEST = 10;
    private static final byte CHUNK = 11;

    private GroupCodec() {
    }

    static byte[] encode(GroupFrame f) {
        if (f instanceof GroupFrame.Data d) {
            ByteBuffer b = header(DATA, 8 * 3 + 4 + d.body().length);
            b.putLong(d.lanViewId()).putLong(d.groupId()).putLong(d.groupViewId());
            b.putInt(d.body().length).put(d.body());
            return b.array();
        } else if (f instanceof GroupFrame.Call c) {
            ByteBuffer b = header(CALL, 8 * 4 + 4 + c.body().length);
            b.putLong(c.lanViewId()).putLong(c.groupId()).putLong(c.groupViewId()).putLong(c.callSeq());
            b.putInt(c.body().length).put(c.body());
            return b.array();
        } else if (f instanceof GroupFrame.Reply r) {
            ByteBuffer b = header(REPLY, 8 * 3 + 8 + 8 + 1 + 4 + r.body().length);
            b.putLong(r.lanViewId()).putLong(r.groupId()).putLong(r.groupViewId());
            b.putInt(r.caller().node()).putInt(r.caller().incarnation()).putLong(r.callSeq());
            b.put((byte) (r.nullReply() ? 1 : 0)).putInt(r.body().length).put(r.body());
            return b.array();
        } else if (f instanceof GroupFrame.Join j) {
            return header(j.withState() ? JOIN_WITH_STATE : JOIN, 8).putLong(j.groupId()).array();
        } else if (f instanceof GroupFrame.StateDone sd) {
            return header(STATE_DONE, 16).putLong(sd.groupId()).putLong(sd.joinViewId()).array();
        } else if (f instanceof GroupFrame.ChunkRequest r) {
            return header(CHUNK_REQUEST, 32).putLong(r.groupId()).putLong(r.joinViewId()).putLong(r.cutSeq())
                    .putLong(r.offset()).array();
        } else if (f instanceof GroupFrame.Chunk c) {
            ByteBuffer b = header(CHUNK, 8 * 3 + 1 + 4 + c.bytes().length);
            b.putLong(c.groupId()).putLong(c.joinViewId()).putLong(c.offset()).put((byte) (c.last() ? 1 : 0));
            b.putInt(c.bytes().length).put(c.bytes());
            return b.array();
        } else if (f instanceof GroupFrame.Leave l) {
            return header(LEAVE, 8).putLong(l.groupId()).array();
        } else if (f instanceof GroupFrame.Flush fl) {
            return header(FLUSH, 24).putLong(fl.lanViewId()).putLong(fl.groupId()).putLong(fl.groupViewId()).array();
        } else if (f instanceof GroupFrame.Snapshot s) {
            int size = 8 + 8 + 4;
            for (GroupFrame.Entry e : s.groups()) {
                size += 8 * 3 + 4 + 8 * e.members().size() + 4 + 16 * e.lacking().size();
            }
            ByteBuffer b = header(SNAPSHOT, size);
            b.putLong(s.lanViewId()).putLong(s.lastGroupViewId()).putInt(s.groups().size());
            for (GroupFrame.Entry e : s.groups()) {
                b.putLong(e.groupId()).putLong(e.viewId()).putLong(e.delivered()).putInt(e.members().size());
                for (ProcessId p : e.members()) {
                    b.putInt(p.node()).putInt(p.incarnation());
                }
                b.putInt(e.lacking().size());
                for (GroupFrame.Lacking l : e.lacking()) {
                    b.putInt(l.who().node()).putInt(l.who().incarnation()).putLong(l.sinceViewId());
                }
            }
            return b.array();
        }
        throw new IllegalArgumentException("unknown group frame " + f);
    }

    /** Decodes a payload; throws {@link IllegalArgumentException} for bytes no member of ours wrote. */
    static GroupFrame decode(byte[] bytes) {
        try {
            return decodeFrame(bytes);
        } catch (java.nio.BufferUnderflowException | IndexOutOfBoundsException e) {
            throw new IllegalArgumentException("truncated group payload", e);
        } catch (io.backplane.group.protocol.Invariants.InvariantViolation e) {
            throw new IllegalArgumentException("invalid group payload: " + e.getMessage(), e);
        }
    }

    private static GroupFrame decodeFrame(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        byte version = b.get();
        if (version != VERSION) {
            throw new IllegalArgumentException("group payload version " + version + ", expected " + VERSION);
        }
        byte tag = b.get();
        GroupFrame f = switch (tag) {
            case DATA -> {
                long lanViewId = b.getLong();
                long groupId = b.getLong();
                long groupViewId = b.getLong();
                byte[] body = new byte[length(b)];
                b.get(body);
                yield new GroupFrame.Data(lanViewId, groupId, groupViewId, body);
            }
            case CALL -> {
                long lanViewId = b.getLong();
                long groupId = b.getLong();
                long groupViewId = b.getLong();
                long callSeq = b.getLong();
                byte[] body = new byte[length(b)];
                b.get(body);
                yield new GroupFrame.Call(lanViewId, groupId, groupViewId, callSeq, body);
            }
            case REPLY -> {
                long lanViewId = b.getLong();
                long groupId = b.getLong();
                long groupViewId = b.getLong();
                ProcessId caller = new ProcessId(b.getInt(), b.getInt());
                long callSeq = b.getLong();
                byte flags = b.get();
                if (flags != 0 && flags != 1) {
                    throw new IllegalArgumentException("bad reply flags " + flags);
                }
                byte[] body = new byte[length(b)];
                b.get(body);
                yield new GroupFrame.Reply(lanViewId, groupId, groupViewId, caller, callSeq, flags == 1, body);
            }
            case JOIN -> new GroupFrame.Join(b.getLong(), false);
            case JOIN_WITH_STATE -> new GroupFrame.Join(b.getLong(), true);
            case STATE_DONE -> new GroupFrame.StateDone(b.getLong(), b.getLong());
            case CHUNK_REQUEST -> new GroupFrame.ChunkRequest(b.getLong(), b.getLong(), b.getLong(), b.getLong());
            case CHUNK -> {
                long groupId = b.getLong();
                long joinViewId = b.getLong();
                long offset = b.getLong();
                byte flags = b.get();
                if (flags != 0 && flags != 1) {
                    throw new IllegalArgumentException("bad chunk flags " + flags);
                }
                byte[] chunk = new byte[length(b)];
                b.get(chunk);
                yield new GroupFrame.Chunk(groupId, joinViewId, offset, flags == 1, chunk);
            }
            case LEAVE -> new GroupFrame.Leave(b.getLong());
            case FLUSH -> new GroupFrame.Flush(b.getLong(), b.getLong(), b.getLong());
            case SNAPSHOT -> {
                long lanViewId = b.getLong();
                long lastGroupViewId = b.getLong();
                int count = length(b);
                List<GroupFrame.Entry> groups = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    long groupId = b.getLong();
                    long viewId = b.getLong();
                    long delivered = b.getLong();
                    int n = length(b);
                    List<ProcessId> members = new ArrayList<>(n);
                    for (int j = 0; j < n; j++) {
                        members.add(new ProcessId(b.getInt(), b.getInt()));
                    }
                    int k = length(b);
                    List<GroupFrame.Lacking> lacking = new ArrayList<>(k);
                    for (int j = 0; j < k; j++) {
                        lacking.add(new GroupFrame.Lacking(new ProcessId(b.getInt(), b.getInt()), b.getLong()));
                    }
                    groups.add(new GroupFrame.Entry(groupId, viewId, delivered, members, lacking));
                }
                yield new GroupFrame.Snapshot(lanViewId, lastGroupViewId, groups);
            }
            default -> throw new IllegalArgumentException("unknown group payload tag " + tag);
        };
        if (b.hasRemaining()) {
            throw new IllegalArgumentException("trailing bytes after group payload " + tag);
        }
        return f;
    }

    private static ByteBuffer header(byte tag, int bodyBytes) {
        return ByteBuffer.allocate(2 + bodyBytes).put(VERSION).put(tag);
    }

    private static int length(ByteBuffer b) {
        int n = b.getInt();
        if (n < 0 || n > LENGTH_MAX || n > b.remaining()) {
            throw new IllegalArgumentException("bad length " + n);
        }
        return n;
    }
}
