package io.backplane.history;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The on-disk format, in one place (STYLE.md habit 9). Every integer in a key is big-endian so that
 * RocksDB's bytewise order is numeric order: a topic's records are one contiguous key range, oldest
 * first. Topic ids are dense from 1, assigned by the writer thread and never reused.
 *
 * <pre>
 * column family       key                                  value
 * messages            topicId u32 | seq u64                version u8 (=2) | timestampMillis i64 |
 *                                                          runningBodyBytes u64 | body
 * topics              topic name (UTF-8)                   topicId u32
 * idempotency         topicId u32 | key (UTF-8)            version u8 (=1) | seq u64 | caller's value
 * idempotency_by_seq  topicId u32 | seq u64                timestampMillis i64 | key (UTF-8)
 * meta                kind u8 | topicId u32                per kind, see below
 * </pre>
 *
 * <p>{@code runningBodyBytes} is a running sum of the topic's body lengths, this record included,
 * from an arbitrary origin (it restarts at 0 when a store opens on a topic with no retained record;
 * only differences between retained records are ever used). The retained bytes of a topic are
 * then {@code running(last) - running(first) + length(first)}: known on open from two reads, with no
 * counter to update on every batch. (A per-topic counter in {@code meta} would cost a write per
 * topic per batch; with thousands of topics that more than halved append throughput.)
 *
 * <p>{@code idempotency_by_seq} orders a topic's keys oldest first so pruning is a prefix walk; it
 * holds exactly one entry per live key (a key written again moves to its new seq).
 *
 * <p>{@code meta} kinds: {@link #META_TRIMMED_THROUGH} (u64 big-endian: every seq up to it was
 * trimmed, by retention or skipped over by {@code HistoryStore.skipTo}, so on open lastSeq =
 * max(last key, trimmedThrough) and a seq is never reused; a skipped topic the store never saw is
 * its name in {@code topics} and this, with no record);
 * {@link #META_IDEMPOTENCY_KEYS} (a u64 little-endian count of live keys updated with RocksDB's
 * {@code uint64add} merge, so the writer's additions and retention's subtractions commute without a
 * shared lock; written only by batches that carry keys); and {@link #META_FORMAT} (topic id 0: the format version).
 */
final class StorageFormat {
    static final String CF_MESSAGES = "messages";
    static final String CF_TOPICS = "topics";
    static final String CF_IDEMPOTENCY = "idempotency";
    static final String CF_IDEMPOTENCY_BY_SEQ = "idempotency_by_seq";
    static final String CF_META = "meta";

    /** 2: message values carry runningBodyBytes (1, the first skeleton's, did not). */
    static final byte FORMAT_VERSION = 2;
    static final byte MESSAGE_VERSION = 2;
    static final byte IDEMPOTENCY_VERSION = 1;

    static final byte META_FORMAT = 'F';
    static final byte META_TRIMMED_THROUGH = 'T';
    static final byte META_IDEMPOTENCY_KEYS = 'K';

    static final int TOPIC_ID_BYTES = 4;
    static final int SEQ_KEY_BYTES = TOPIC_ID_BYTES + 8;
    static final int MESSAGE_HEADER_BYTES = 1 + 8 + 8;
    static final int MESSAGE_TIMESTAMP_OFFSET = 1;
    static final int MESSAGE_RUNNING_BYTES_OFFSET = 9;
    static final int IDEMPOTENCY_HEADER_BYTES = 1 + 8;

    private StorageFormat() {
    }

    /** Key of a record in {@code messages}, and of a key's position in {@code idempotency_by_seq}. */
    static byte[] seqKey(int topicId, long seq) {
        return ByteBuffer.allocate(SEQ_KEY_BYTES).putInt(topicId).putLong(seq).array();
    }

    /** The first key after every key of {@code topicId} (its range's exclusive upper bound). */
    static byte[] topicEnd(int topicId) {
        Invariants.check(topicId != -1, "topic id space exhausted");
        return ByteBuffer.allocate(TOPIC_ID_BYTES).putInt(topicId + 1).array();
    }

    static int topicIdOf(byte[] seqKey) {
        return ByteBuffer.wrap(seqKey).getInt(0);
    }

    static long seqOf(byte[] seqKey) {
        return ByteBuffer.wrap(seqKey).getLong(TOPIC_ID_BYTES);
    }

    static byte[] messageValue(HistoryRecord record, long runningBodyBytes) {
        byte[] body = record.body();
        return ByteBuffer.allocate(MESSAGE_HEADER_BYTES + body.length)
                .put(MESSAGE_VERSION).putLong(record.timestampMillis()).putLong(runningBodyBytes).put(body).array();
    }

    static long runningBodyBytes(byte[] messageValue) {
        checkMessage(messageValue, -1);
        return ByteBuffer.wrap(messageValue).getLong(MESSAGE_RUNNING_BYTES_OFFSET);
    }

    static HistoryRecord decodeMessage(long seq, byte[] value) {
        checkMessage(value, seq);
        long timestampMillis = ByteBuffer.wrap(value).getLong(MESSAGE_TIMESTAMP_OFFSET);
        byte[] body = new byte[value.length - MESSAGE_HEADER_BYTES];
        System.arraycopy(value, MESSAGE_HEADER_BYTES, body, 0, body.length);
        return new HistoryRecord(seq, timestampMillis, body);
    }

    /** Decodes a message value of {@code length} bytes from the start of {@code value}. */
    static HistoryRecord decodeMessage(long seq, ByteBuffer value, int length) {
        if (length < MESSAGE_HEADER_BYTES || value.get(0) != MESSAGE_VERSION) {
            throw new IllegalStateException("message (seq " + seq + ") has " + length + " bytes and format version "
                    + (length > 0 ? value.get(0) : "none") + ", this build reads " + MESSAGE_VERSION);
        }
        byte[] body = new byte[length - MESSAGE_HEADER_BYTES];
        value.get(MESSAGE_HEADER_BYTES, body);
        return new HistoryRecord(seq, value.getLong(MESSAGE_TIMESTAMP_OFFSET), body);
    }

    static int bodyLength(int messageValueLength) {
        return messageValueLength - MESSAGE_HEADER_BYTES;
    }

    static byte[] topicName(String topic) {
        return topic.getBytes(StandardCharsets.UTF_8);
    }

    static String topicName(byte[] name) {
        return new String(name, StandardCharsets.UTF_8);
    }

    static byte[] topicIdValue(int topicId) {
        return ByteBuffer.allocate(TOPIC_ID_BYTES).putInt(topicId).array();
    }

    static int decodeTopicId(byte[] value) {
        Invariants.check(value.length == TOPIC_ID_BYTES, "topic id value has %s bytes", value.length);
        return ByteBuffer.wrap(value).getInt();
    }

    static byte[] idempotencyKey(int topicId, String key) {
        byte[] utf8 = key.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(TOPIC_ID_BYTES + utf8.length).putInt(topicId).put(utf8).array();
    }

    /** The caller's key string of an {@code idempotency} key. */
    static String idempotencyKeyName(byte[] idempotencyKey) {
        return new String(idempotencyKey, TOPIC_ID_BYTES, idempotencyKey.length - TOPIC_ID_BYTES, StandardCharsets.UTF_8);
    }

    static byte[] idempotencyValue(long seq, byte[] value) {
        return ByteBuffer.allocate(IDEMPOTENCY_HEADER_BYTES + value.length)
                .put(IDEMPOTENCY_VERSION).putLong(seq).put(value).array();
    }

    static long idempotencySeq(byte[] entry) {
        checkIdempotencyEntry(entry);
        return ByteBuffer.wrap(entry).getLong(1);
    }

    static byte[] idempotencyCallerValue(byte[] entry) {
        checkIdempotencyEntry(entry);
        byte[] value = new byte[entry.length - IDEMPOTENCY_HEADER_BYTES];
        System.arraycopy(entry, IDEMPOTENCY_HEADER_BYTES, value, 0, value.length);
        return value;
    }

    /** Value of a key's entry in {@code idempotency_by_seq}: its record's time, then the key itself. */
    static byte[] keyOrderValue(long timestampMillis, byte[] idempotencyKey) {
        int keyBytes = idempotencyKey.length - TOPIC_ID_BYTES;
        return ByteBuffer.allocate(8 + keyBytes).putLong(timestampMillis)
                .put(idempotencyKey, TOPIC_ID_BYTES, keyBytes).array();
    }

    static long keyOrderTimestampMillis(byte[] value) {
        return ByteBuffer.wrap(value).getLong(0);
    }

    /** The {@code idempotency} key named by a {@code idempotency_by_seq} value. */
    static byte[] keyOrderIdempotencyKey(int topicId, byte[] value) {
        return ByteBuffer.allocate(TOPIC_ID_BYTES + value.length - 8).putInt(topicId)
                .put(value, 8, value.length - 8).array();
    }

    /** {@code meta} kind of a WAN receiver's high-water mark; the rest of the key is the origin LAN's name. */
    static final byte META_WAN_MARK = 'W';

    static byte[] wanMarkKey(String originLan) {
        byte[] lan = originLan.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return ByteBuffer.allocate(1 + lan.length).put(META_WAN_MARK).put(lan).array();
    }

    /** epoch (u64 big-endian) + spool seq (u64 big-endian). */
    static byte[] wanMarkValue(WanMark mark) {
        return ByteBuffer.allocate(16).putLong(mark.epoch()).putLong(mark.spoolSeq()).array();
    }

    static WanMark wanMark(byte[] key, byte[] value) {
        Invariants.check(value.length == 16, "WAN mark value has %s bytes", value.length);
        ByteBuffer v = ByteBuffer.wrap(value);
        return new WanMark(new String(key, 1, key.length - 1, java.nio.charset.StandardCharsets.UTF_8), v.getLong(), v.getLong());
    }

    static byte[] metaKey(byte kind, int topicId) {
        return ByteBuffer.allocate(1 + TOPIC_ID_BYTES).put(kind).putInt(topicId).array();
    }

    static byte[] bigEndian(long value) {
        return ByteBuffer.allocate(8).putLong(value).array();
    }

    static long bigEndian(byte[] value) {
        Invariants.check(value.length == 8, "u64 value has %s bytes", value.length);
        return ByteBuffer.wrap(value).getLong();
    }

    /** A {@code uint64add} merge operand: RocksDB decodes it as fixed64, i.e. little-endian. */
    static byte[] counterDelta(long delta) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(delta).array();
    }

    static long counterValue(byte[] value) {
        Invariants.check(value.length == 8, "counter value has %s bytes", value.length);
        return ByteBuffer.wrap(value).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    /** A message value this build can read: its version, and at least its header (a torn value is refused by name). */
    private static void checkMessage(byte[] value, long seq) {
        checkVersion(value, MESSAGE_VERSION, "message", seq);
        if (value.length < MESSAGE_HEADER_BYTES) {
            throw new IllegalStateException("message (seq " + seq + ") has " + value.length + " bytes, fewer than its "
                    + MESSAGE_HEADER_BYTES + "-byte header");
        }
    }

    private static void checkIdempotencyEntry(byte[] entry) {
        checkVersion(entry, IDEMPOTENCY_VERSION, "idempotency entry", -1);
        if (entry.length < IDEMPOTENCY_HEADER_BYTES) {
            throw new IllegalStateException("idempotency entry has " + entry.length + " bytes, fewer than its "
                    + IDEMPOTENCY_HEADER_BYTES + "-byte header");
        }
    }

    private static void checkVersion(byte[] value, byte version, String what, long seq) {
        if (value.length == 0 || value[0] != version) {
            throw new IllegalStateException(what + " (seq " + seq + ") has format version "
                    + (value.length == 0 ? "none" : value[0]) + ", this build reads " + version);
        }
    }
}
