package io.backplane.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.backplane.history.AppendRequest;
import io.backplane.history.HistoryChunk;
import io.backplane.history.HistoryRecord;
import io.backplane.history.HistoryStore;
import io.backplane.history.HistoryStoreConfig;
import io.backplane.history.HistoryStoreException;
import io.backplane.history.HistoryStoreOverloadedException;
import io.backplane.history.RocksHistoryStore;
import io.backplane.history.TopicInfo;
import io.backplane.history.TransferChunk;
import io.backplane.node.topic.LocalTopicService;
import io.backplane.node.topic.Payload;
import io.backplane.node.topic.PostResult;
import io.backplane.node.topic.ServiceUnavailableException;
import io.backplane.node.topic.TooManyRequestsException;
import io.backplane.node.topic.TopicMetrics;
import io.backplane.node.topic.TopicServiceConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How the topic service meets store failures: an I/O failure stops it taking posts (fail-stop, 503)
 * and nothing queued behind the failure is left unanswered; a refused append (queue full) is taken
 * back so the next post gets the seq the refused one would have had.
 */
class StorageFailureTest {
    @TempDir
    Path tmp;

    @Test
    void anAppendFailureStopsPostsWithUnavailableAndAnswersEveryQueuedPost() throws Exception {
        try (HistoryStore real = RocksHistoryStore.open(HistoryStoreConfig.defaults(tmp.resolve("h")));
             FailingStore store = new FailingStore(real, n -> n == 3
                     ? CompletableFuture.failedFuture(new HistoryStoreException("disk full")) : null);
             LocalTopicService service = service(store)) {
            List<CompletableFuture<PostResult>> posts = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                posts.add(service.post("/FAIL/T", Payload.fromJsonValue(("" + i).getBytes()), null));
            }
            assertThat(posts.get(0).get(10, TimeUnit.SECONDS).duplicate()).isFalse();
            assertThat(posts.get(1).get(10, TimeUnit.SECONDS).duplicate()).isFalse();
            for (int i = 2; i < 6; i++) {
                assertThat(failure(posts.get(i))).as("post " + i).isInstanceOf(ServiceUnavailableException.class);
            }
            assertThat(service.unavailableReason()).contains("disk full");
            assertThat(failure(service.post("/FAIL/OTHER", Payload.fromJsonValue("1".getBytes()), null)))
                    .isInstanceOf(ServiceUnavailableException.class);
        }
    }

    @Test
    void aRefusedAppendIsTakenBackSoSeqsStayGapless() throws Exception {
        try (HistoryStore real = RocksHistoryStore.open(HistoryStoreConfig.defaults(tmp.resolve("h")));
             FailingStore store = new FailingStore(real, n -> n == 2
                     ? CompletableFuture.failedFuture(new HistoryStoreOverloadedException("queue full")) : null);
             LocalTopicService service = service(store)) {
            PostResult first = service.post("/BUSY/T", Payload.fromJsonValue("1".getBytes()), null).get(10, TimeUnit.SECONDS);
            Throwable refused = failure(service.post("/BUSY/T", Payload.fromJsonValue("2".getBytes()), null));
            PostResult third = service.post("/BUSY/T", Payload.fromJsonValue("3".getBytes()), null).get(10, TimeUnit.SECONDS);
            assertThat(refused).isInstanceOf(TooManyRequestsException.class);
            assertThat(new String(first.ackJson())).contains("\"seq\":1,");
            assertThat(new String(third.ackJson())).contains("\"seq\":2,");
            assertThat(service.unavailableReason()).isNull();
            assertThat(real.readFrom("/BUSY/T", 1, 10)).extracting(HistoryRecord::seq).containsExactly(1L, 2L);
        }
    }

    private static LocalTopicService service(HistoryStore store) {
        return new LocalTopicService(store, new TopicServiceConfig("LOCAL", "n1", 1, 1000, 10, 256, 1 << 20),
                System::currentTimeMillis, TopicMetrics.NONE);
    }

    private static Throwable failure(CompletableFuture<?> future) throws Exception {
        try {
            future.get(10, TimeUnit.SECONDS);
            throw new AssertionError("expected a failure");
        } catch (ExecutionException e) {
            return e.getCause();
        }
    }

    /** Delegates to a real store but answers the n-th append (1-based) as {@code failAt} says. */
    private static final class FailingStore implements HistoryStore {
        private final HistoryStore delegate;
        private final IntFunction<CompletableFuture<Void>> failAt;
        private int appends;

        FailingStore(HistoryStore delegate, IntFunction<CompletableFuture<Void>> failAt) {
            this.delegate = delegate;
            this.failAt = failAt;
        }

        @Override
        public CompletableFuture<Void> append(AppendRequest request) {
            CompletableFuture<Void> planted = failAt.apply(++appends);
            return planted != null ? planted : delegate.append(request);
        }

        @Override
        public CompletableFuture<Void> truncateAfter(String topic, long keepThroughSeq) {
            return delegate.truncateAfter(topic, keepThroughSeq);
        }

        @Override
        public CompletableFuture<Void> skipTo(String topic, long firstSeq) {
            return delegate.skipTo(topic, firstSeq);
        }

        @Override
        public void trimThrough(String topic, long throughSeq) {
            delegate.trimThrough(topic, throughSeq);
        }

        @Override
        public long retainedBytes(String topic) {
            return delegate.retainedBytes(topic);
        }

        @Override
        public java.util.Map<String, io.backplane.history.WanMark> wanMarks() {
            return delegate.wanMarks();
        }

        @Override
        public void putWanMarks(java.util.Collection<io.backplane.history.WanMark> marks) {
            delegate.putWanMarks(marks);
        }

        @Override
        public void checkpoint(java.nio.file.Path target) {
            delegate.checkpoint(target);
        }

        @Override
        public TransferChunk readTransferChunk(String topic, long fromSeq, long toSeq, int maxRecords, int maxBytes) {
            return delegate.readTransferChunk(topic, fromSeq, toSeq, maxRecords, maxBytes);
        }

        @Override
        public Optional<TopicInfo> topic(String topic) {
            return delegate.topic(topic);
        }

        @Override
        public List<TopicInfo> topics(String prefix) {
            return delegate.topics(prefix);
        }

        @Override
        public List<HistoryRecord> readFrom(String topic, long fromSeq, int limit) {
            return delegate.readFrom(topic, fromSeq, limit);
        }

        @Override
        public List<HistoryRecord> readLast(String topic, int count) {
            return delegate.readLast(topic, count);
        }

        @Override
        public long seqAtTime(String topic, long timeMillis) {
            return delegate.seqAtTime(topic, timeMillis);
        }

        @Override
        public HistoryChunk readChunk(String topic, long fromSeq, long toSeq, int maxRecords, int maxBytes) {
            return delegate.readChunk(topic, fromSeq, toSeq, maxRecords, maxBytes);
        }

        @Override
        public Optional<byte[]> idempotencyEntry(String topic, String idempotencyKey) {
            return delegate.idempotencyEntry(topic, idempotencyKey);
        }

        @Override
        public void applyRetention() {
            delegate.applyRetention();
        }

        @Override
        public void close() {
            // the real store is closed by its own try-with-resources
        }
    }
}
