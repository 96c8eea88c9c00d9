package io.backplane.history;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;

/**
 * Every topic with history, by name: a hash map for the writer's and readers' lookups, a sorted map
 * for prefix listings. Only the writer adds (after the batch creating the topic is durable); topics
 * are never removed, because their ids and seqs must never be reused.
 */
final class TopicTable {
    private final Map<String, TopicState> byName = new ConcurrentHashMap<>();
    private final ConcurrentSkipListMap<String, TopicState> sorted = new ConcurrentSkipListMap<>();
    private final int maxId;

    private TopicTable(int maxId) {
        this.maxId = maxId;
    }

    TopicState get(String topic) {
        return byName.get(topic);
    }

    void add(TopicState topic) {
        TopicState previous = byName.putIfAbsent(topic.name, topic);
        Invariants.check(previous == null, "topic %s created twice", topic.name);
        sorted.put(topic.name, topic);
    }

    Collection<TopicState> all() {
        return sorted.values();
    }

    List<TopicInfo> withPrefix(String prefix) {
        List<TopicInfo> out = new ArrayList<>();
        for (TopicState topic : sorted.tailMap(prefix, true).values()) {
            if (!topic.name.startsWith(prefix)) {
                break;
            }
            out.add(topic.info());
        }
        return out;
    }

    /** The highest topic id on disk when the store was opened (0 when none). */
    int maxIdAtOpen() {
        return maxId;
    }

    /**
     * Rebuilds every topic's bounds from disk: ids from {@code topics}, first and last seq and the
     * retained body bytes from the two ends of its key range, and {@code trimmedThrough}, which keeps lastSeq when retention trimmed
     * everything (or a skip jumped past it), so a restarted store never hands out a seq twice.
     */
    static TopicTable load(RocksHandles rocks) throws RocksDBException {
        List<TopicState> loaded = new ArrayList<>();
        int maxId = 0;
        try (RocksIterator names = rocks.db.newIterator(rocks.topics);
             ReadOptions totalOrder = new ReadOptions().setTotalOrderSeek(true);
             RocksIterator messages = rocks.db.newIterator(rocks.messages, totalOrder)) {
            for (names.seekToFirst(); names.isValid(); names.next()) {
                String name = StorageFormat.topicName(names.key());
                int id = StorageFormat.decodeTopicId(names.value());
                Invariants.check(id > 0, "topic %s has id %s", name, id);
                loaded.add(loadTopic(rocks, messages, name, id));
                maxId = Math.max(maxId, id);
            }
            names.status();
        }
        TopicTable table = new TopicTable(maxId);
        for (TopicState topic : loaded) {
            table.add(topic);
        }
        Invariants.check(loaded.stream().map(t -> t.id).distinct().count() == loaded.size(), "two topics share an id");
        return table;
    }

    private static TopicState loadTopic(RocksHandles rocks, RocksIterator messages, String name, int id)
            throws RocksDBException {
        long firstKeySeq = 0;
        long lastKeySeq = 0;
        long bodyBytes = 0;
        long runningBodyBytes = 0;
        messages.seek(StorageFormat.seqKey(id, 0));
        if (messages.isValid() && StorageFormat.topicIdOf(messages.key()) == id) {
            firstKeySeq = StorageFormat.seqOf(messages.key());
            byte[] first = messages.value();
            messages.seekForPrev(StorageFormat.seqKey(id, Long.MAX_VALUE));
            lastKeySeq = StorageFormat.seqOf(messages.key());
            runningBodyBytes = StorageFormat.runningBodyBytes(messages.value());
            bodyBytes = runningBodyBytes - StorageFormat.runningBodyBytes(first) + StorageFormat.bodyLength(first.length);
        }
        messages.status();
        long trimmedThrough = readLong(rocks, StorageFormat.META_TRIMMED_THROUGH, id, false);
        long keys = readLong(rocks, StorageFormat.META_IDEMPOTENCY_KEYS, id, true);
        long lastSeq = Math.max(lastKeySeq, trimmedThrough);
        long firstSeq = firstKeySeq > 0 ? firstKeySeq : lastSeq + 1;
        // lastSeq 0 is a topic whose every record a tail truncation removed (truncateAfter(topic, 0)):
        // named, empty, continuing at 1. Refusing it would make the whole store unopenable.
        Invariants.check(lastSeq >= 0, "topic %s ends at seq %s", name, lastSeq);
        Invariants.check(firstKeySeq == 0 || firstKeySeq > trimmedThrough,
                "topic %s keeps seq %s although trimmed through %s", name, firstKeySeq, trimmedThrough);
        Invariants.check(bodyBytes >= 0, "topic %s counts %s body bytes in %s..%s", name, bodyBytes, firstSeq, lastSeq);
        Invariants.check(keys >= 0, "topic %s counts %s idempotency keys", name, keys);
        return new TopicState(id, name, new TopicState.Bounds(firstSeq, lastSeq, bodyBytes, keys), runningBodyBytes);
    }

    private static long readLong(RocksHandles rocks, byte kind, int id, boolean counter) throws RocksDBException {
        byte[] value = rocks.db.get(rocks.meta, StorageFormat.metaKey(kind, id));
        if (value == null) {
            return 0;
        }
        return counter ? StorageFormat.counterValue(value) : StorageFormat.bigEndian(value);
    }
}
