package io.backplane.node.topic;

/**
 * A compiled subscription pattern: matches concrete topic names segment by segment.
 * {@code *} matches exactly one segment; a trailing {@code **} matches zero or more.
 */
public final class TopicPattern {
    private final String text;
    private final String[] segments;
    private final boolean trailingDoubleStar;

    private TopicPattern(String text) {
        this.text = text;
        String[] all = text.substring(1).split("/", -1);
        this.trailingDoubleStar = all[all.length - 1].equals("**");
        if (trailingDoubleStar) {
            this.segments = java.util.Arrays.copyOf(all, all.length - 1);
        } else {
            this.segments = all;
        }
    }

    /** Compiles a pattern that {@link TopicName#parsePattern} already accepted. */
    public static TopicPattern compile(String validPattern) {
        return new TopicPattern(validPattern);
    }

    public String text() {
        return text;
    }

    public boolean matches(String topic) {
        if (!topic.startsWith("/")) {
            return false; // internal topics (WAN spools) are never a client's, not even for "/**"
        }
        int segmentIndex = 0;
        int pos = 1;
        int length = topic.length();
        while (segmentIndex < segments.length) {
            if (pos > length) {
                return false;
            }
            int end = topic.indexOf('/', pos);
            if (end < 0) {
                end = length;
            }
            String want = segments[segmentIndex];
            if (!want.equals("*") && !topic.regionMatches(pos, want, 0, want.length())
                    || !want.equals("*") && want.length() != end - pos) {
                return false;
            }
            segmentIndex++;
            pos = end + 1;
        }
        // All pattern segments consumed: exact patterns need the topic consumed too.
        return trailingDoubleStar || pos > length;
    }

    @Override
    public String toString() {
        return text;
    }
}
