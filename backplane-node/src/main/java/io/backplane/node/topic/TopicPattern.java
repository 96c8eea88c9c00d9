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

    /**
     * Compiles a pattern that {@link TopicName#parsePattern} already accepted, or such a pattern under an
     * internal prefix ({@link MirrorNames#mirror}).
     */
    public static TopicPattern compile(String validPattern) {
        return new TopicPattern(validPattern);
    }

    public String text() {
        return text;
    }

    public boolean matches(String topic) {
        if (topic.isEmpty() || topic.charAt(0) != text.charAt(0)) {
            // Client patterns start with "/", internal topics (WAN spools, mirrors) with "~": a client's
            // pattern never matches an internal topic, not even "/**". Internal patterns (a remote
            // subscription's "~mirror/L/..." ) match internal names segment by segment.
            return false;
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

    /**
     * True when every topic {@code inner} can match is matched by {@code outer} (both valid patterns or
     * topics of one namespace). Sound, and exact for the pattern language: {@code *} is one segment, a
     * trailing {@code **} zero or more.
     */
    public static boolean covers(String outer, String inner) {
        String[] o = outer.substring(1).split("/", -1);
        String[] in = inner.substring(1).split("/", -1);
        boolean outerRest = o[o.length - 1].equals("**");
        boolean innerRest = in[in.length - 1].equals("**");
        int outerFixed = outerRest ? o.length - 1 : o.length;
        int innerFixed = innerRest ? in.length - 1 : in.length;
        if (outer.charAt(0) != inner.charAt(0) || innerFixed < outerFixed) {
            return false; // inner can match a topic shorter than outer requires
        }
        if (!outerRest && (innerRest || innerFixed != outerFixed)) {
            return false; // inner can match a topic longer than outer allows
        }
        for (int i = 0; i < outerFixed; i++) {
            if (!o[i].equals("*") && !o[i].equals(in[i])) {
                return false; // a literal of outer where inner has another literal, or a wildcard
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return text;
    }
}
