package io.backplane.node.topic;

/**
 * Where remote subscriptions live in this LAN's store (docs/ARCHITECTURE.md §11, "Remote
 * subscriptions"). The mirror of topic {@code T} of LAN {@code L} is the internal topic
 * {@code ~mirror/L/T...}; the patterns this LAN mirrors from {@code L} are the records of the
 * internal topic {@code ~mirrors/L}. Like the WAN spools these start with {@code ~}: no client can
 * name them, client patterns never match them, REST listings and retention rules never see them.
 */
public final class MirrorNames {
    private static final String MIRROR = "~mirror/";
    private static final String REGISTRY = "~mirrors/";

    private MirrorNames() {
    }

    /** The internal topic (or pattern) holding LAN {@code lan}'s {@code path} (a topic or pattern of that LAN). */
    public static String mirror(String lan, String path) {
        return MIRROR + lan + path;
    }

    /** The prefix of every mirror of LAN {@code lan}'s topics. */
    public static String mirrorPrefix(String lan) {
        return MIRROR + lan + "/";
    }

    /** The internal topic listing the patterns this LAN mirrors from {@code lan}. */
    public static String registry(String lan) {
        return REGISTRY + lan;
    }

    public static boolean isMirror(String internalName) {
        return internalName.startsWith(MIRROR);
    }

    /** The name a client knows a mirror by ({@code /T@L}); any other name as it is. */
    public static String display(String internalName) {
        if (!isMirror(internalName)) {
            return internalName;
        }
        int slash = internalName.indexOf('/', MIRROR.length());
        if (slash < 0) {
            return internalName;
        }
        return internalName.substring(slash) + "@" + internalName.substring(MIRROR.length(), slash);
    }

    /** The remote topic path of a mirror ({@code /T}), or null when the name is no mirror of {@code lan}. */
    public static String remotePath(String lan, String internalName) {
        String prefix = MIRROR + lan;
        return internalName.startsWith(prefix + "/") ? internalName.substring(prefix.length()) : null;
    }
}
