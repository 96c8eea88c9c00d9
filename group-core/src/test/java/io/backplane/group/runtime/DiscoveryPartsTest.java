package io.backplane.group.runtime;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The pure parts of discovery: slots from names, the control-frame codec, the address book, the founding rule. */
class DiscoveryPartsTest {
    private static final long MS = 1_000_000L;

    @Test
    void slotsAreStablePositiveAndDocumented() {
        // first 31 bits of SHA-256("alpha"): the value is part of the wire contract, it must never change
        assertThat(NodeSlots.slotOf("alpha")).isEqualTo(248772269);
        for (int i = 0; i < 10_000; i++) {
            assertThat(NodeSlots.slotOf("node-" + i)).isPositive();
        }
        assertThatThrownBy(() -> NodeSlots.slotOf("bad name")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> NodeSlots.slotOf("x".repeat(65))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void helloAndStatusRoundTrip() {
        NodeInfo a = new NodeInfo("alpha", 3, "127.0.0.1", 7400, Map.of("http", "127.0.0.1:8081"));
        NodeInfo b = new NodeInfo("bravo", 1, "10.0.0.2", 7401, Map.of());
        ControlFrame.Hello h = new ControlFrame.Hello(a, new MemberStatus(MemberStatus.MEMBER, 7), List.of(b));
        assertThat(ControlCodec.decode(ByteBuffer.wrap(ControlCodec.encode(h)))).isEqualTo(h);
        ControlFrame.Status s = new ControlFrame.Status(MemberStatus.JOINING_STATUS);
        assertThat(ControlCodec.decode(ByteBuffer.wrap(ControlCodec.encode(s)))).isEqualTo(s);
    }

    @Test
    void garbledControlFramesAreRejectedNotHalfRead() {
        NodeInfo a = new NodeInfo("alpha", 3, "127.0.0.1", 7400, Map.of("http", "x"));
        byte[] good = ControlCodec.encode(new ControlFrame.Hello(a, MemberStatus.JOINING_STATUS, List.of()));
        for (int cut = 0; cut < good.length; cut++) {
            ByteBuffer torn = ByteBuffer.wrap(good, 0, cut);
            assertThatThrownBy(() -> ControlCodec.decode(torn)).isInstanceOf(IllegalArgumentException.class);
        }
        byte[] trailing = java.util.Arrays.copyOf(good, good.length + 1);
        assertThatThrownBy(() -> ControlCodec.decode(ByteBuffer.wrap(trailing)))
                .isInstanceOf(IllegalArgumentException.class);
        java.util.Random random = new java.util.Random(42);
        for (int i = 0; i < 2000; i++) {
            byte[] junk = good.clone();
            junk[2 + random.nextInt(junk.length - 2)] = (byte) random.nextInt();
            try {
                ControlCodec.decode(ByteBuffer.wrap(junk)); // may still be valid: then it decoded fully
            } catch (IllegalArgumentException expected) {
                // refused, as it should be
            }
        }
    }

    @Test
    void theBookKeepsTheNewestIncarnationAndRefusesACollidingName() {
        AddressBook book = new AddressBook(new NodeInfo("alpha", 1, "127.0.0.1", 7400, Map.of()));
        assertThat(book.merge(new NodeInfo("bravo", 1, "127.0.0.1", 7401, Map.of()))).isEqualTo(AddressBook.Merge.ADDED);
        assertThat(book.merge(new NodeInfo("bravo", 1, "127.0.0.1", 9999, Map.of()))).isEqualTo(AddressBook.Merge.UNCHANGED);
        assertThat(book.merge(new NodeInfo("bravo", 2, "127.0.0.1", 7501, Map.of()))).isEqualTo(AddressBook.Merge.UPDATED);
        assertThat(book.merge(new NodeInfo("bravo", 1, "127.0.0.1", 7401, Map.of()))).isEqualTo(AddressBook.Merge.UNCHANGED);
        assertThat(book.get(NodeSlots.slotOf("bravo")).port()).isEqualTo(7501);
        assertThat(book.merge(new NodeInfo("alpha", 2, "127.0.0.1", 7400, Map.of()))).isEqualTo(AddressBook.Merge.UNCHANGED);

        String[] pair = collidingNames();
        AddressBook other = new AddressBook(new NodeInfo("alpha", 1, "127.0.0.1", 7400, Map.of()));
        assertThat(other.merge(new NodeInfo(pair[0], 1, "127.0.0.1", 1, Map.of()))).isEqualTo(AddressBook.Merge.ADDED);
        assertThat(other.merge(new NodeInfo(pair[1], 1, "127.0.0.1", 2, Map.of()))).isEqualTo(AddressBook.Merge.REFUSED);
        assertThat(other.get(NodeSlots.slotOf(pair[0])).name()).isEqualTo(pair[0]);
    }

    /** Two names with one slot, found by brute force (a birthday search over 31 bits: ~10^5 names). */
    private static String[] collidingNames() {
        Map<Integer, String> seen = new HashMap<>();
        for (int i = 0; ; i++) {
            String name = "n" + i;
            String earlier = seen.putIfAbsent(NodeSlots.slotOf(name), name);
            if (earlier != null) {
                return new String[] {earlier, name};
            }
        }
    }

    private static PeerStatus peer(int slot, byte code, long viewId, long sinceMs, long lastMs) {
        return new PeerStatus(slot, "s" + slot, 1, new MemberStatus(code, viewId), sinceMs * MS, lastMs * MS);
    }

    private static FoundingRule.Decision decide(int self, int expected, List<PeerStatus> peers, long nowMs) {
        return FoundingRule.decide(self, expected, peers, nowMs * MS, 1000 * MS, 500 * MS, 15_000 * MS);
    }

    @Test
    void onlyTheSmallestSlotOfAJoiningMajorityFounds() {
        List<PeerStatus> peers = new ArrayList<>(List.of(peer(5, MemberStatus.JOINING, 0, 0, 9_900)));
        assertThat(decide(3, 3, peers, 10_000).found()).isTrue();
        assertThat(decide(7, 3, peers, 10_000).found()).isFalse(); // 5 is smaller
        assertThat(decide(3, 4, peers, 10_000).found()).isFalse(); // 2 of 4 is no majority
        assertThat(decide(3, 1, List.of(), 10_000).found()).isTrue();
        assertThat(decide(3, 3, List.of(), 10_000).found()).isFalse();
    }

    @Test
    void stalePeersAndPeersJustHeardDoNotCount() {
        assertThat(decide(3, 3, List.of(peer(5, MemberStatus.JOINING, 0, 0, 8_000)), 10_000).found()).isFalse();
        assertThat(decide(3, 3, List.of(peer(5, MemberStatus.JOINING, 0, 9_800, 9_900)), 10_000).found()).isFalse();
    }

    @Test
    void anAvailableMemberOrARecentlyStuckOneStopsFoundingAndViewIdsMoveOn() {
        List<PeerStatus> withMember = List.of(peer(5, MemberStatus.JOINING, 0, 0, 9_900),
                peer(9, MemberStatus.MEMBER, 4, 0, 9_900));
        assertThat(decide(3, 3, withMember, 10_000).found()).isFalse();
        List<PeerStatus> withStuck = List.of(peer(5, MemberStatus.JOINING, 0, 0, 9_900),
                peer(9, MemberStatus.UNAVAILABLE, 4, 9_000, 9_900));
        assertThat(decide(3, 5, withStuck, 10_000).found()).isFalse();
        FoundingRule.Decision later = decide(3, 5, List.of(peer(5, MemberStatus.JOINING, 0, 0, 29_900),
                peer(6, MemberStatus.JOINING, 0, 0, 29_900), peer(9, MemberStatus.UNAVAILABLE, 4, 9_000, 29_900)), 30_000);
        assertThat(later.found()).isTrue();
        assertThat(later.viewIdAtLeast()).isEqualTo(5);
    }
}
