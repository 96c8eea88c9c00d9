package io.backplane.node.topic;

import java.util.regex.Pattern;

/**
 * Validation and parsing of topic names and patterns (CONTRACT.md §1).
 *
 * <p>A topic is an absolute path of 1..16 segments of {@code [A-Za-z0-9._-]{1,64}}, at most 255
 * characters, optionally followed by {@code @LAN}. Patterns may use {@code *} for one segment and, as
 * the last segment only, {@code **} for zero or more.
 */
public final class TopicName {
    public static final int MAX_LENGTH = 255;
    public static final int MAX_SEGMENTS = 16;
    private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    private static final Pattern LAN = Pattern.compile("[A-Za-z0-9-]{1,32}");

    private TopicName() {
    }

    /** A topic or pattern split from its optional {@code @LAN}; {@code lan} is null when absent. */
    public record Qualified(String path, String lan) {
        /** True when the name addresses a LAN other than {@code localLan}. */
        public boolean isRemote(String localLan) {
            return lan != null && !lan.equals(localLan);
        }
    }

    /** Parses a concrete topic (no wildcards), possibly with {@code @LAN}. */
    public static Qualified parseTopic(String raw) {
        return parse(raw, false);
    }

    /** Parses a subscription pattern (wildcards allowed), possibly with {@code @LAN}. */
    public static Qualified parsePattern(String raw) {
        return parse(raw, true);
    }

    public static boolean isValidLan(String lan) {
        return lan != null && LAN.matcher(lan).matches();
    }

    /** True when the (already valid) pattern contains a wildcard segment. */
    public static boolean isWildcard(String pattern) {
        return pattern.equals("/**") || pattern.contains("/*");
    }

    private static Qualified parse(String raw, boolean allowWildcards) {
        if (raw == null || raw.isEmpty()) {
            throw new InvalidTopicException("topic must not be empty");
        }
        String path = raw;
        String lan = null;
        int at = raw.indexOf('@');
        if (at >= 0) {
            path = raw.substring(0, at);
            lan = raw.substring(at + 1);
            if (!LAN.matcher(lan).matches()) {
                throw new InvalidTopicException("LAN name '" + lan + "' must match [A-Za-z0-9-]{1,32}");
            }
        }
        validatePath(path, allowWildcards);
        return new Qualified(path, lan);
    }

    private static void validatePath(String path, boolean allowWildcards) {
        if (path.length() > MAX_LENGTH) {
            throw new InvalidTopicException("topic is longer than " + MAX_LENGTH + " characters");
        }
        if (!path.startsWith("/")) {
            throw new InvalidTopicException("topic '" + path + "' must start with '/'");
        }
        if (path.length() == 1 || path.endsWith("/")) {
            throw new InvalidTopicException("topic '" + path + "' must not end with '/'");
        }
        String[] segments = path.substring(1).split("/", -1);
        if (segments.length > MAX_SEGMENTS) {
            throw new InvalidTopicException("topic has more than " + MAX_SEGMENTS + " segments");
        }
        for (int i = 0; i < segments.length; i++) {
            String segment = segments[i];
            if (allowWildcards && segment.equals("*")) {
                continue;
            }
            if (allowWildcards && segment.equals("**")) {
                if (i != segments.length - 1) {
                    throw new InvalidTopicException("'**' may only be the last segment of a pattern");
                }
                continue;
            }
            if (segment.isEmpty()) {
                throw new InvalidTopicException("topic '" + path + "' has an empty segment");
            }
            if (segment.equals(".") || segment.equals("..")) {
                throw new InvalidTopicException("topic segments '.' and '..' are not allowed");
            }
            if (!SEGMENT.matcher(segment).matches()) {
                throw new InvalidTopicException("topic segment '" + shorten(segment)
                        + "' must match [A-Za-z0-9._-]{1,64}" + (allowWildcards ? " or be * / **" : ""));
            }
        }
    }

    private static String shorten(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "…";
    }
}
