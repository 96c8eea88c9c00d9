package io.backplane.group.runtime;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.regex.Pattern;

/**
 * Node names and the engine slots derived from them. A slot is the {@code node} of a
 * {@link io.backplane.group.protocol.ProcessId}; with discovery it is not configured but computed from the
 * node's name, so every process derives the same slot for a name without asking anyone:
 *
 * <pre>slot(name) = the first 4 bytes of SHA-256(UTF-8 bytes of name), big-endian, with the top bit cleared;
 *             0 is mapped to 1</pre>
 *
 * so a slot is always in {@code [1, 2^31 - 1]}. Two names may collide (about one chance in 2^31 per pair:
 * about 2 × 10^-4 for a thousand nodes); the address book detects it when it sees both names and refuses
 * the one it learns of second (ARCHITECTURE.md §7.2).
 */
public final class NodeSlots {
    /** The node-name syntax of the external contract (CONTRACT.md §2, {@code --node-id}). */
    public static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");

    private NodeSlots() {
    }

    /** The slot of a valid node name; throws {@link IllegalArgumentException} for an invalid one. */
    public static int slotOf(String name) {
        requireValidName(name);
        byte[] h = sha256(name.getBytes(StandardCharsets.UTF_8));
        int slot = ((h[0] & 0x7f) << 24) | ((h[1] & 0xff) << 16) | ((h[2] & 0xff) << 8) | (h[3] & 0xff);
        return slot == 0 ? 1 : slot;
    }

    public static boolean isValidName(String name) {
        return name != null && NAME.matcher(name).matches();
    }

    public static String requireValidName(String name) {
        if (!isValidName(name)) {
            throw new IllegalArgumentException("node name must match " + NAME.pattern() + ", was '" + name + "'");
        }
        return name;
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM must provide SHA-256", e);
        }
    }
}
