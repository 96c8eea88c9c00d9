package io.backplane.wan;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Encoding of {@link WanFrame}s: each frame is {@code u32 length} (of what follows) then {@code u8 type}
 * then the body, big-endian, strings as modified UTF-8 with a u16 length (Java's {@code writeUTF}),
 * byte arrays with a u32 length. A {@link Hello} starts with the magic {@code "BPW1"} (protocol version 1).
 * The full table is in docs/WIRE.md.
 */
public final class WanFrames {
    public static final int MAGIC = 0x42505731; // "BPW1"
    /** Largest frame accepted: a 1 MiB payload JSON-escaped can reach 6 MiB in the worst case, plus the head. */
    public static final int MAX_FRAME_BYTES = 8 * 1024 * 1024;

    static final byte HELLO = 1;
    static final byte WELCOME = 2;
    static final byte REFUSE = 3;
    static final byte DATA = 4;
    static final byte ACK = 5;
    static final byte PING = 6;
    static final byte PONG = 7;
    static final byte MIRROR_SUBSCRIBE = 8;
    static final byte MIRROR_DATA = 9;
    static final byte MIRROR_END = 10;
    /** Most topics one MirrorSubscribe may name to resume (bounds the frame; more go in further frames). */
    public static final int MAX_RESUME = 10_000;

    private WanFrames() {
    }

    /** The frame with its length prefix, ready to write. */
    public static byte[] encode(WanFrame frame) {
        int hint = frame instanceof WanFrame.Data d ? d.sizeBytes()
                : frame instanceof WanFrame.MirrorData m ? m.sizeBytes() : 64;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(hint + 4);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(0); // length, patched below
            if (frame instanceof WanFrame.Hello h) {
                out.writeByte(HELLO);
                out.writeInt(MAGIC);
                out.writeUTF(h.originLan());
                out.writeUTF(h.targetLan());
                out.writeLong(h.epoch());
                out.writeUTF(h.node());
            } else if (frame instanceof WanFrame.Welcome w) {
                out.writeByte(WELCOME);
                out.writeUTF(w.lan());
                out.writeLong(w.appliedHint());
            } else if (frame instanceof WanFrame.Refuse r) {
                out.writeByte(REFUSE);
                out.writeUTF(r.reason().length() > 1000 ? r.reason().substring(0, 1000) : r.reason());
            } else if (frame instanceof WanFrame.Data d) {
                out.writeByte(DATA);
                out.writeLong(d.spoolSeq());
                out.writeUTF(d.topic());
                out.writeUTF(d.id());
                out.writeLong(d.timestampMillis());
                writeBytes(out, d.contentTypeJson());
                writeBytes(out, d.envelopeTail());
            } else if (frame instanceof WanFrame.Ack a) {
                out.writeByte(ACK);
                out.writeLong(a.through());
            } else if (frame instanceof WanFrame.Ping p) {
                out.writeByte(PING);
                out.writeLong(p.value());
            } else if (frame instanceof WanFrame.Pong p) {
                out.writeByte(PONG);
                out.writeLong(p.value());
            } else if (frame instanceof WanFrame.MirrorSubscribe m) {
                out.writeByte(MIRROR_SUBSCRIBE);
                out.writeUTF(m.pattern());
                out.writeInt(m.resume().size());
                for (WanFrame.Resume r : m.resume()) {
                    out.writeUTF(r.topic());
                    out.writeLong(r.fromSeq());
                }
            } else if (frame instanceof WanFrame.MirrorData m) {
                out.writeByte(MIRROR_DATA);
                out.writeUTF(m.topic());
                out.writeLong(m.seq());
                out.writeLong(m.requestedFrom());
                writeBytes(out, m.envelope());
            } else if (frame instanceof WanFrame.MirrorEnd m) {
                out.writeByte(MIRROR_END);
                out.writeUTF(m.pattern());
                out.writeUTF(m.reason().length() > 1000 ? m.reason().substring(0, 1000) : m.reason());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayOutputStream does not throw
        }
        byte[] out = bytes.toByteArray();
        int length = out.length - 4;
        out[0] = (byte) (length >>> 24);
        out[1] = (byte) (length >>> 16);
        out[2] = (byte) (length >>> 8);
        out[3] = (byte) length;
        return out;
    }

    /** Decodes one frame body (type byte and what follows, without the length prefix). */
    public static WanFrame decodeBody(byte[] body) {
        if (body.length == 0) {
            throw new WanProtocolException("empty frame");
        }
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(body))) {
            byte type = in.readByte();
            WanFrame frame = switch (type) {
                case HELLO -> {
                    int magic = in.readInt();
                    if (magic != MAGIC) {
                        throw new WanProtocolException("not a Backplane WAN link (magic " + Integer.toHexString(magic) + ")");
                    }
                    yield new WanFrame.Hello(in.readUTF(), in.readUTF(), in.readLong(), in.readUTF());
                }
                case WELCOME -> new WanFrame.Welcome(in.readUTF(), in.readLong());
                case REFUSE -> new WanFrame.Refuse(in.readUTF());
                case DATA -> new WanFrame.Data(in.readLong(), in.readUTF(), in.readUTF(), in.readLong(),
                        readBytes(in), readBytes(in));
                case ACK -> new WanFrame.Ack(in.readLong());
                case PING -> new WanFrame.Ping(in.readLong());
                case PONG -> new WanFrame.Pong(in.readLong());
                case MIRROR_SUBSCRIBE -> {
                    String pattern = in.readUTF();
                    int n = in.readInt();
                    if (n < 0 || n > MAX_RESUME) {
                        throw new WanProtocolException("MirrorSubscribe names " + n + " topics (at most " + MAX_RESUME + ")");
                    }
                    List<WanFrame.Resume> resume = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) {
                        resume.add(new WanFrame.Resume(in.readUTF(), in.readLong()));
                    }
                    yield new WanFrame.MirrorSubscribe(pattern, resume);
                }
                case MIRROR_DATA -> new WanFrame.MirrorData(in.readUTF(), in.readLong(), in.readLong(), readBytes(in));
                case MIRROR_END -> new WanFrame.MirrorEnd(in.readUTF(), in.readUTF());
                default -> throw new WanProtocolException("unknown WAN frame type " + type);
            };
            if (in.available() != 0) {
                throw new WanProtocolException("frame type " + type + " has " + in.available() + " trailing bytes");
            }
            return frame;
        } catch (IOException e) {
            throw new WanProtocolException("truncated WAN frame");
        }
    }

    private static void writeBytes(DataOutputStream out, byte[] b) throws IOException {
        out.writeInt(b.length);
        out.write(b);
    }

    private static byte[] readBytes(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > in.available()) {
            throw new WanProtocolException("byte field of length " + n + " does not fit the frame");
        }
        byte[] b = new byte[n];
        in.readFully(b);
        return b;
    }

    /**
     * Splits a byte stream into frames, whatever the chunking (one instance per connection, not thread
     * safe). A length beyond {@link #MAX_FRAME_BYTES} or a body that does not decode throws
     * {@link WanProtocolException}; the connection is then closed.
     */
    public static final class Decoder {
        private byte[] buffer = new byte[4096];
        private int start;
        private int end;

        public List<WanFrame> feed(byte[] bytes) {
            return feed(bytes, 0, bytes.length);
        }

        public List<WanFrame> feed(byte[] bytes, int offset, int length) {
            ensureRoom(length);
            System.arraycopy(bytes, offset, buffer, end, length);
            end += length;
            List<WanFrame> out = new ArrayList<>();
            while (end - start >= 4) {
                int frameLength = ((buffer[start] & 0xff) << 24) | ((buffer[start + 1] & 0xff) << 16)
                        | ((buffer[start + 2] & 0xff) << 8) | (buffer[start + 3] & 0xff);
                if (frameLength <= 0 || frameLength > MAX_FRAME_BYTES) {
                    throw new WanProtocolException("WAN frame length " + frameLength + " is out of range");
                }
                if (end - start - 4 < frameLength) {
                    break;
                }
                byte[] body = new byte[frameLength];
                System.arraycopy(buffer, start + 4, body, 0, frameLength);
                start += 4 + frameLength;
                out.add(decodeBody(body));
            }
            if (start == end) {
                start = 0;
                end = 0;
            }
            return out;
        }

        /** Bytes received that do not make a whole frame yet. */
        public int pending() {
            return end - start;
        }

        private void ensureRoom(int length) {
            if (buffer.length - end >= length) {
                return;
            }
            int live = end - start;
            int capacity = buffer.length;
            while (capacity - live < length) {
                capacity *= 2;
            }
            byte[] next = capacity == buffer.length ? buffer : new byte[capacity];
            System.arraycopy(buffer, start, next, 0, live);
            buffer = next;
            start = 0;
            end = live;
        }
    }
}
