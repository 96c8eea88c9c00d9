package io.backplane.group.protocol;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/** The ring behaves exactly like the sorted map it replaced, under any mix of puts, drops and truncations. */
class IndexedLogTest {

    @Property(tries = 300)
    void behavesLikeASortedMapAboveItsBase(@ForAll("operations") List<int[]> ops) {
        IndexedLog<Long> log = new IndexedLog<>();
        TreeMap<Long, Long> model = new TreeMap<>();
        long base = 0;
        for (int[] op : ops) {
            long index = base + op[1];
            switch (op[0]) {
                case 0 -> {
                    if (index > base) {
                        log.put(index, index * 10);
                        model.put(index, index * 10);
                    }
                }
                case 1 -> {
                    base = Math.max(base, index);
                    log.dropUpTo(index);
                    model.headMap(index, true).clear();
                }
                default -> {
                    long at = Math.max(index, base);
                    log.truncateAfter(at);
                    model.tailMap(at, false).clear();
                }
            }
            for (long i = base - 2; i <= base + 300; i++) {
                assertThat(log.get(i)).isEqualTo(i > base ? model.get(i) : null);
            }
            List<Long> all = new ArrayList<>();
            log.addAllTo(all);
            assertThat(all).containsExactlyElementsOf(model.values());
        }
    }

    @Provide
    Arbitrary<List<int[]>> operations() {
        Arbitrary<int[]> op = Arbitraries.integers().between(0, 9).flatMap(kind -> Arbitraries.integers()
                .between(0, 260).map(offset -> new int[] {kind < 7 ? 0 : kind < 9 ? 1 : 2, offset}));
        return op.list().ofMaxSize(80);
    }
}
