package io.backplane.node.topic;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Topic names and patterns arrive in URLs, websocket frames and (later) WAN frames. For any string the
 * parser either refuses with {@link InvalidTopicException} (a 400 {@code bad-topic}) or accepts a name
 * that parses again to itself; an accepted pattern compiles, and an accepted topic is matched by
 * itself as a pattern and by {@code /**}.
 */
class TopicNameFuzzTest {

    @FuzzTest(maxDuration = "60s")
    void parse(FuzzedDataProvider data) {
        String raw = data.consumeRemainingAsString();
        try {
            TopicName.Qualified t = TopicName.parseTopic(raw);
            assertThat(TopicName.parseTopic(t.path()).path()).isEqualTo(t.path());
            assertThat(TopicName.isWildcard(t.path())).isFalse();
            assertThat(TopicPattern.compile(t.path()).matches(t.path())).isTrue();
            assertThat(TopicPattern.compile("/**").matches(t.path())).isTrue();
        } catch (InvalidTopicException refused) {
            // fine: a clear 400
        }
        try {
            TopicName.Qualified p = TopicName.parsePattern(raw);
            assertThat(TopicName.parsePattern(p.path()).path()).isEqualTo(p.path());
            TopicPattern.compile(p.path());
        } catch (InvalidTopicException refused) {
            // fine
        }
    }
}
