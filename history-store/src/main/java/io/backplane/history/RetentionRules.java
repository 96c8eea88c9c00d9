package io.backplane.history;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/** Picks a topic's retention rule: the one with the longest prefix of the topic's name. */
final class RetentionRules {
    private final List<RetentionRule> longestPrefixFirst;

    RetentionRules(List<RetentionRule> rules) {
        List<RetentionRule> sorted = new ArrayList<>(rules);
        sorted.sort(Comparator.comparingInt((RetentionRule r) -> r.topicPrefix().length()).reversed());
        this.longestPrefixFirst = List.copyOf(sorted);
    }

    Optional<RetentionRule> ruleFor(String topic) {
        for (RetentionRule rule : longestPrefixFirst) {
            if (topic.startsWith(rule.topicPrefix())) {
                return Optional.of(rule);
            }
        }
        return Optional.empty();
    }
}
