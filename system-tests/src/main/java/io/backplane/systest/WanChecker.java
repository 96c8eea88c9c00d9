package io.backplane.systest;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Judges a WAN run (DESIGN.md §6, checker item 8) from the outside: the posts the origin LAN answered
 * 202 (or 200 for a retried key), in the order one sequential publisher got them, against every
 * destination replica's history of the target topic.
 */
public final class WanChecker {
    /** A post acknowledged by the origin LAN: its idempotency key and the id of the 202 answer. */
    public record Acked(String key, String id) { }

    private WanChecker() {
    }

    /**
     * @param acked      acknowledged posts in acknowledgement order (one sequential publisher)
     * @param attempted  every key the publisher sent, acknowledged or not
     * @param histories  destination node → its history of the target topic
     */
    public static List<String> check(List<Acked> acked, Set<String> attempted, Map<String, List<Checker.HistoryEntry>> histories) {
        List<String> violations = new ArrayList<>();
        List<Checker.HistoryEntry> reference = null;
        String referenceNode = null;
        for (Map.Entry<String, List<Checker.HistoryEntry>> e : histories.entrySet()) {
            String node = e.getKey();
            List<Checker.HistoryEntry> h = e.getValue();
            Map<String, Integer> position = new HashMap<>();
            for (int i = 0; i < h.size(); i++) {
                Checker.HistoryEntry m = h.get(i);
                if (m.seq() != i + 1) {
                    violations.add(node + ": seq " + m.seq() + " at position " + (i + 1) + " (a gap or a regression)");
                }
                if (position.put(m.id(), i) != null) {
                    violations.add(node + ": id " + m.id() + " appears twice (a duplicate across the WAN)");
                }
                if (m.key() == null || !attempted.contains(m.key())) {
                    violations.add(node + ": seq " + m.seq() + " id " + m.id() + " was never posted (key " + m.key() + ")");
                }
            }
            int last = -1;
            Set<String> seen = new HashSet<>();
            for (Acked a : acked) {
                if (!seen.add(a.id())) {
                    continue; // the same post answered twice (a retried key): one message
                }
                Integer p = position.get(a.id());
                if (p == null) {
                    violations.add(node + ": acknowledged post " + a.key() + " (id " + a.id() + ") is missing");
                    continue;
                }
                Checker.HistoryEntry m = h.get(p);
                if (!a.key().equals(m.key())) {
                    violations.add(node + ": id " + a.id() + " carries key " + m.key() + ", acknowledged for " + a.key());
                }
                if (p < last) {
                    violations.add(node + ": acknowledged post " + a.key() + " is at seq " + (p + 1)
                            + ", before a post acknowledged earlier (origin order broken)");
                }
                last = Math.max(last, p);
            }
            if (reference == null) {
                reference = h;
                referenceNode = node;
            } else if (!reference.equals(h)) {
                violations.add(node + " and " + referenceNode + " hold different histories (" + h.size() + " and "
                        + reference.size() + " messages)");
            }
        }
        return violations;
    }
}
