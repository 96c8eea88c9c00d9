package io.backplane.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.backplane.node.topic.InvalidTopicException;
import io.backplane.node.topic.TopicName;
import io.backplane.node.topic.TopicPattern;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/** The naming rules of CONTRACT.md §1 and pattern matching, checked against a reference matcher. */
class TopicNameTest {

    @Test
    void parsesMailNotation() {
        TopicName.Qualified q = TopicName.parseTopic("/GENEVA/QUOTES/IBM@NEW-YORK");
        assertThat(q.path()).isEqualTo("/GENEVA/QUOTES/IBM");
        assertThat(q.lan()).isEqualTo("NEW-YORK");
        assertThat(q.isRemote("GENEVA")).isTrue();
        assertThat(q.isRemote("NEW-YORK")).isFalse();
        assertThat(TopicName.parseTopic("/A").lan()).isNull();
    }

    @Test
    void rejectsWhatTheContractForbids() {
        for (String bad : new String[] {"", "A", "/", "/A/", "/A//B", "/A/./B", "/A/../B", "/A B", "/A/*", "/A/**",
                "/A@", "/A@B_C", "/" + "x".repeat(65), "/a".repeat(17)}) {
            assertThatThrownBy(() -> TopicName.parseTopic(bad)).as(bad).isInstanceOf(InvalidTopicException.class);
        }
        assertThatThrownBy(() -> TopicName.parsePattern("/A/**/B")).isInstanceOf(InvalidTopicException.class);
        assertThatThrownBy(() -> TopicName.parsePattern("/A/x*")).isInstanceOf(InvalidTopicException.class);
        assertThat(TopicName.parsePattern("/A/*/C/**").path()).isEqualTo("/A/*/C/**");
        assertThat(TopicName.parseTopic("/" + "x".repeat(64)).path()).hasSize(65);
    }

    @Test
    void matchesExamplesOfTheContract() {
        TopicPattern quotes = TopicPattern.compile("/GENEVA/QUOTES/*");
        assertThat(quotes.matches("/GENEVA/QUOTES/IBM")).isTrue();
        assertThat(quotes.matches("/GENEVA/QUOTES")).isFalse();
        assertThat(quotes.matches("/GENEVA/QUOTES/IBM/X")).isFalse();
        TopicPattern geneva = TopicPattern.compile("/GENEVA/**");
        assertThat(geneva.matches("/GENEVA")).isTrue();
        assertThat(geneva.matches("/GENEVA/QUOTES/IBM")).isTrue();
        assertThat(geneva.matches("/GENEVAX")).isFalse();
        assertThat(TopicPattern.compile("/**").matches("/ANY/THING")).isTrue();
    }

    @Property(tries = 2000)
    void patternMatchingAgreesWithARegexReference(@ForAll("patterns") String pattern, @ForAll("topics") String topic) {
        String regex = "^" + pattern.replace("/**", "\u0001").replace("*", "[^/]+").replace("\u0001", "(/[^/]+)*") + "$";
        assertThat(TopicPattern.compile(pattern).matches(topic)).as(pattern + " vs " + topic)
                .isEqualTo(topic.matches(regex));
    }

    @Provide
    Arbitrary<String> topics() {
        return Arbitraries.of("A", "B", "AB", "C").list().ofMinSize(1).ofMaxSize(4).map(l -> "/" + String.join("/", l));
    }

    @Provide
    Arbitrary<String> patterns() {
        Arbitrary<String> body = Arbitraries.of("A", "B", "AB", "*").list().ofMinSize(0).ofMaxSize(3).map(l -> String.join("/", l));
        return body.flatMap(b -> Arbitraries.of(true, false).map(tail -> {
            if (b.isEmpty()) {
                return "/**";
            }
            return "/" + b + (tail ? "/**" : "");
        }));
    }
}
