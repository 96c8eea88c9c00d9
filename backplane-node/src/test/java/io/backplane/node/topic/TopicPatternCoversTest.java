package io.backplane.node.topic;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/** {@link TopicPattern#covers}: a remote subscription covered by another is not streamed twice. */
class TopicPatternCoversTest {

    @Test
    void examples() {
        assertThat(TopicPattern.covers("/Q/**", "/Q/A")).isTrue();
        assertThat(TopicPattern.covers("/Q/**", "/Q/*/B")).isTrue();
        assertThat(TopicPattern.covers("/Q/**", "/Q")).isTrue();
        assertThat(TopicPattern.covers("/Q/**", "/Q/**")).isTrue();
        assertThat(TopicPattern.covers("/**", "/Q/*")).isTrue();
        assertThat(TopicPattern.covers("/Q/*", "/Q/A")).isTrue();
        assertThat(TopicPattern.covers("/Q/*", "/Q/**")).isFalse();
        assertThat(TopicPattern.covers("/Q/A", "/Q/*")).isFalse();
        assertThat(TopicPattern.covers("/Q/*/C", "/Q/B/*")).isFalse();
        assertThat(TopicPattern.covers("/Q/A/**", "/Q/**")).isFalse();
        assertThat(TopicPattern.covers("~mirror/NY/Q/**", "/Q/A")).isFalse();
    }

    /** Sound: if outer covers inner, every topic inner matches, outer matches too. */
    @Property(tries = 3000)
    void coveringIsSound(@ForAll("patterns") String outer, @ForAll("patterns") String inner,
                         @ForAll("topics") String topic) {
        if (TopicPattern.covers(outer, inner) && TopicPattern.compile(inner).matches(topic)) {
            assertThat(TopicPattern.compile(outer).matches(topic)).as("%s covers %s but not %s", outer, inner, topic).isTrue();
        }
    }

    /** And not vacuous: a pattern always covers itself and every topic it matches. */
    @Property(tries = 1000)
    void aPatternCoversItselfAndItsTopics(@ForAll("patterns") String p, @ForAll("topics") String topic) {
        assertThat(TopicPattern.covers(p, p)).isTrue();
        if (TopicPattern.compile(p).matches(topic)) {
            assertThat(TopicPattern.covers(p, topic)).isTrue();
        }
    }

    @Provide
    Arbitrary<String> topics() {
        return Arbitraries.of("A", "B").list().ofMinSize(1).ofMaxSize(4).map(s -> "/" + String.join("/", s));
    }

    @Provide
    Arbitrary<String> patterns() {
        Arbitrary<List<String>> segments = Arbitraries.of("A", "B", "*").list().ofMinSize(0).ofMaxSize(3);
        return Combinators.combine(segments, Arbitraries.of(true, false)).as((s, rest) -> {
            List<String> all = new ArrayList<>(s);
            if (rest || all.isEmpty()) {
                all.add("**");
            }
            return "/" + String.join("/", all);
        });
    }
}
