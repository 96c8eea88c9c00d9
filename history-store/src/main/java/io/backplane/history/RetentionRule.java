package io.backplane.history;

/**
 * Retention for every topic whose name starts with {@code topicPrefix} (the longest matching prefix
 * wins; "/" matches all). A limit of 0 means "no limit" for that dimension.
 */
public record RetentionRule(String topicPrefix, long maxCount, long maxAgeMillis, long maxBytes) {
    public RetentionRule {
        if (topicPrefix == null || !topicPrefix.startsWith("/")) {
            throw new IllegalArgumentException("retention prefix must start with '/': " + topicPrefix);
        }
        if (maxCount < 0 || maxAgeMillis < 0 || maxBytes < 0) {
            throw new IllegalArgumentException("retention limits must be >= 0 for prefix " + topicPrefix);
        }
    }
}
