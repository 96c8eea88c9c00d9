package io.backplane.group.runtime;

import java.net.InetSocketAddress;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the address book knows of one node: its name (hence its slot, {@link NodeSlots}), the incarnation
 * that published this entry, the address its cluster port listens on, and the small string metadata it
 * publishes (for example {@code http=127.0.0.1:8081}). Validated against the bounds of the HELLO frame
 * (docs/WIRE.md), so an entry built here always encodes, and one decoded from a peer always satisfies them.
 *
 * @param incarnation {@code >= 1}; a higher incarnation of the same name replaces the entry
 */
public record NodeInfo(String name, int incarnation, String host, int port, Map<String, String> metadata) {
    public static final int HOST_CHARS_MAX = 255;
    public static final int METADATA_ENTRIES_MAX = 16;
    public static final int METADATA_KEY_CHARS_MAX = 64;
    public static final int METADATA_VALUE_CHARS_MAX = 512;

    public NodeInfo {
        NodeSlots.requireValidName(name);
        if (incarnation < 1) {
            throw new IllegalArgumentException("incarnation must be >= 1, was " + incarnation);
        }
        if (host == null || host.isEmpty() || host.length() > HOST_CHARS_MAX) {
            throw new IllegalArgumentException("host must have 1.." + HOST_CHARS_MAX + " characters");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be in 1..65535, was " + port);
        }
        if (metadata.size() > METADATA_ENTRIES_MAX) {
            throw new IllegalArgumentException("at most " + METADATA_ENTRIES_MAX + " metadata entries");
        }
        metadata.forEach((k, v) -> {
            if (k.isEmpty() || k.length() > METADATA_KEY_CHARS_MAX || v.length() > METADATA_VALUE_CHARS_MAX) {
                throw new IllegalArgumentException("metadata key must have 1.." + METADATA_KEY_CHARS_MAX
                        + " characters and value at most " + METADATA_VALUE_CHARS_MAX + ": " + k);
            }
        });
        metadata = Map.copyOf(new TreeMap<>(metadata));
    }

    public int slot() {
        return NodeSlots.slotOf(name);
    }

    /** The cluster address, resolved now (an IP literal needs no lookup). */
    public InetSocketAddress address() {
        return new InetSocketAddress(host, port);
    }

    @Override
    public String toString() {
        return name + "." + incarnation + "@" + host + ":" + port;
    }
}
