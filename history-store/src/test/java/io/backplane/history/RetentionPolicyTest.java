package io.backplane.history;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.LongRange;

/**
 * The retention decisions checked against models written the other way round: the record walk
 * against "the longest newest run that fits every limit", key dropping against "young or among the
 * newest N is kept", rule choice against a brute-force longest prefix.
 */
class RetentionPolicyTest {

    /** A record as retention sees it: timestamp and body size. */
    record Rec(long timestampMillis, int bodyBytes) {
    }

    @Provide
    Arbitrary<List<Rec>> histories() {
        Arbitrary<Long> steps = Arbitraries.longs().between(0, 60);
        Arbitrary<Integer> sizes = Arbitraries.integers().between(0, 300);
        return Combinators.combine(steps, sizes).as((step, size) -> new long[] {step, size})
                .list().ofMaxSize(40)
                .map(pairs -> {
                    List<Rec> history = new ArrayList<>();
                    long time = 0;
                    for (long[] pair : pairs) {
                        time += pair[0];
                        history.add(new Rec(time, (int) pair[1]));
                    }
                    return history;
                });
    }

    @Property(tries = 2_000)
    void theTrimWalkKeepsExactlyTheLongestNewestRunWithinEveryLimit(
            @ForAll("histories") List<Rec> history,
            @ForAll @LongRange(min = 0, max = 30) long maxCount,
            @ForAll @LongRange(min = 0, max = 600) long maxAgeMillis,
            @ForAll @LongRange(min = 0, max = 4_000) long maxBytes,
            @ForAll @LongRange(min = 0, max = 2_500) long nowMillis) {
        RetentionRule rule = new RetentionRule("/", maxCount, maxAgeMillis, maxBytes);
        int n = history.size();
        long totalBytes = history.stream().mapToLong(Rec::bodyBytes).sum();

        // The walk RetentionTask does, seqs 1..n.
        long retained = totalBytes;
        int trimmed = 0;
        while (trimmed < n && RetentionPolicy.mustTrim(rule, nowMillis, n, retained, trimmed + 1,
                history.get(trimmed).timestampMillis())) {
            retained -= history.get(trimmed).bodyBytes();
            trimmed++;
        }

        // The model: grow the kept run from the newest record while it still fits.
        int kept = 0;
        long keptBytes = 0;
        while (kept < n) {
            Rec older = history.get(n - 1 - kept);
            boolean fitsCount = maxCount == 0 || kept + 1 <= maxCount;
            boolean fitsAge = maxAgeMillis == 0 || nowMillis - older.timestampMillis() <= maxAgeMillis;
            boolean fitsBytes = maxBytes == 0 || keptBytes + older.bodyBytes() <= maxBytes;
            if (!(fitsCount && fitsAge && fitsBytes)) {
                break;
            }
            kept++;
            keptBytes += older.bodyBytes();
        }
        assertThat(trimmed).isEqualTo(n - kept);
    }

    @Property(tries = 2_000)
    void aKeyMayBeDroppedExactlyWhenItIsOldAndNotAmongTheNewest(
            @ForAll @LongRange(min = 0, max = 50) long keyCount,
            @ForAll @LongRange(min = 0, max = 50) long position,
            @ForAll @LongRange(min = 0, max = 60) long keepNewest,
            @ForAll @LongRange(min = 0, max = 1_000) long timestampMillis,
            @ForAll @LongRange(min = 0, max = 1_000) long nowMillis,
            @ForAll @LongRange(min = 0, max = 500) long maxAgeMillis) {
        if (position >= keyCount) {
            return;
        }
        long newerOrSame = keyCount - position;
        boolean amongNewest = newerOrSame <= keepNewest;
        boolean young = nowMillis - timestampMillis <= maxAgeMillis;
        assertThat(RetentionPolicy.mayDropKey(position, keyCount, keepNewest, timestampMillis, nowMillis, maxAgeMillis))
                .isEqualTo(!amongNewest && !young);
    }

    @Property(tries = 3_000)
    void olderThanIsExactForAnyTimestamps(@ForAll long timestampMillis, @ForAll long nowMillis,
                                          @ForAll @LongRange(min = 0) long maxAgeMillis) {
        boolean exact = BigInteger.valueOf(nowMillis).subtract(BigInteger.valueOf(timestampMillis))
                .compareTo(BigInteger.valueOf(maxAgeMillis)) > 0;
        assertThat(RetentionPolicy.olderThan(timestampMillis, nowMillis, maxAgeMillis)).isEqualTo(exact);
    }

    @Provide
    Arbitrary<String> names() {
        return Arbitraries.of("a", "b", "/", "ab").list().ofMaxSize(4).map(parts -> "/" + String.join("", parts));
    }

    @Provide
    Arbitrary<List<String>> prefixes() {
        return names().list().ofMaxSize(6);
    }

    @Property(tries = 1_000)
    void theLongestMatchingPrefixWins(@ForAll("prefixes") List<String> prefixes, @ForAll("names") String topic) {
        List<RetentionRule> rules = prefixes.stream().distinct()
                .map(p -> new RetentionRule(p, p.length(), 0, 0)).toList();
        Optional<String> expected = rules.stream().map(RetentionRule::topicPrefix)
                .filter(topic::startsWith)
                .max((x, y) -> Integer.compare(x.length(), y.length()));
        assertThat(new RetentionRules(rules).ruleFor(topic).map(RetentionRule::topicPrefix)).isEqualTo(expected);
    }

    @Property(tries = 1_000)
    void mayTrimIsFalseOnlyWhenNoRecordCouldBeTrimmed(
            @ForAll("histories") List<Rec> history,
            @ForAll @LongRange(min = 0, max = 30) long maxCount,
            @ForAll @LongRange(min = 0, max = 4_000) long maxBytes) {
        // The shortcut that skips reading a topic must never skip one the walk would trim.
        RetentionRule rule = new RetentionRule("/", maxCount, 0, maxBytes);
        int n = history.size();
        long totalBytes = history.stream().mapToLong(Rec::bodyBytes).sum();
        TopicState.Bounds bounds = new TopicState.Bounds(1, n, totalBytes, 0);
        boolean walkTrims = n > 0 && RetentionPolicy.mustTrim(rule, 0, n, totalBytes, 1, history.get(0).timestampMillis());
        if (walkTrims) {
            assertThat(RetentionPolicy.mayTrim(rule, bounds)).isTrue();
        }
    }
}
