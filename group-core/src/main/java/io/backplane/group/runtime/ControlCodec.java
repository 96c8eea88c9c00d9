package io.backplane.group.runtime;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Encodes and decodes {@link ControlFrame}s (docs/WIRE.md). Decoding checks every bound and rejects
 * trailing bytes with {@link IllegalArgumentException}, so a garbled or hostile frame is refused, never
 * half-applied.
 */
public final class ControlCodec {
    /**
     * First byte of every control frame. An engine packet starts with its version byte (1, 2, 3, … counting
     * up); 0xBC is far outside that range, so neither side can take one for the other.
     */
    public static final byte MARKER = (byte) 0xBC;
    /** Version of the control-frame layout, independent of the engine packet version. */
    public static final byte VERSION = 1;
    static final byte HELLO = 1;
    static final byte STATUS = 2;
    /** Entries in one HELLO's book, and in an address book. */
    public static final int BOOK_ENTRIES_MAX = 1024;
    /** Bound on one control frame, and on any frame before a connection's HELLO. */
    public static final int FRAME_BYTES_MAX = 4 << 20;

    private ControlCodec() {
    }

    public static byte[] encode(ControlFrame f) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(MARKER);
            out.writeByte(VERSION);
            if (f instanceof ControlFrame.Hello h) {
                if (h.book().size() > BOOK_ENTRIES_MAX) {
                    throw new IllegalArgumentException("book over " + BOOK_ENTRIES_MAX + " entries");
                }
                out.writeByte(HELLO);
                writeNode(out, h.sender());
                writeStatus(out, h.status());
                out.writeInt(h.book().size());
                for (NodeInfo n : h.book()) {
                    writeNode(out, n);
                }
            } else if (f instanceof ControlFrame.Status s) {
                out.writeByte(STATUS);
                writeStatus(out, s.status());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
        }
        return bytes.toByteArray();
    }

    /** Decodes the remaining bytes of {@code frame} (its position moves); throws on anything malformed. */
    public static ControlFrame decode(ByteBuffer frame) {
        try {
            expect(frame.get() == MARKER, "not a control frame");
            byte version = frame.get();
            expect(version == VERSION, "control frame version " + version);
            byte type = frame.get();
            ControlFrame f;
            if (type == HELLO) {
                NodeInfo sender = readNode(frame);
                MemberStatus status = readStatus(frame);
                int n = frame.getInt();
                expect(n >= 0 && n <= BOOK_ENTRIES_MAX, "book of " + n + " entries");
                List<NodeInfo> book = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    book.add(readNode(frame));
                }
                f = new ControlFrame.Hello(sender, status, book);
            } else if (type == STATUS) {
                f = new ControlFrame.Status(readStatus(frame));
            } else {
                throw new IllegalArgumentException("unknown control frame type " + type);
            }
            expect(!frame.hasRemaining(), frame.remaining() + " trailing bytes");
            return f;
        } catch (BufferUnderflowException | IndexOutOfBoundsException e) {
            throw new IllegalArgumentException("truncated control frame");
        }
    }

    private static void writeNode(DataOutputStream out, NodeInfo n) throws IOException {
        writeString(out, n.name());
        out.writeInt(n.incarnation());
        writeString(out, n.host());
        out.writeInt(n.port());
        out.writeByte(n.metadata().size());
        for (Map.Entry<String, String> e : n.metadata().entrySet()) {
            writeString(out, e.getKey());
            writeString(out, e.getValue());
        }
    }

    private static NodeInfo readNode(ByteBuffer in) {
        String name = readString(in, 64);
        int incarnation = in.getInt();
        String host = readString(in, NodeInfo.HOST_CHARS_MAX);
        int port = in.getInt();
        int entries = in.get() & 0xff;
        expect(entries <= NodeInfo.METADATA_ENTRIES_MAX, entries + " metadata entries");
        Map<String, String> metadata = new TreeMap<>();
        for (int i = 0; i < entries; i++) {
            metadata.put(readString(in, NodeInfo.METADATA_KEY_CHARS_MAX), readString(in, NodeInfo.METADATA_VALUE_CHARS_MAX));
        }
        return new NodeInfo(name, incarnation, host, port, metadata); // validates the rest (throws IAE)
    }

    private static void writeStatus(DataOutputStream out, MemberStatus s) throws IOException {
        out.writeByte(s.code());
        out.writeLong(s.viewId());
    }

    private static MemberStatus readStatus(ByteBuffer in) {
        return new MemberStatus(in.get(), in.getLong());
    }

    private static void writeString(DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeShort(b.length);
        out.write(b);
    }

    /** A UTF-8 string of at most {@code charsMax} characters (and so at most 4 × that many bytes). */
    private static String readString(ByteBuffer in, int charsMax) {
        int length = in.getShort() & 0xffff;
        expect(length <= 4 * charsMax, "string of " + length + " bytes");
        ByteBuffer slice = in.slice(in.position(), length);
        in.position(in.position() + length);
        try {
            String s = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(slice).toString();
            expect(s.length() <= charsMax, "string of " + s.length() + " characters");
            return s;
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("string is not UTF-8");
        }
    }

    private static void expect(boolean ok, String what) {
        if (!ok) {
            throw new IllegalArgumentException("bad control frame: " + what);
        }
    }
}
