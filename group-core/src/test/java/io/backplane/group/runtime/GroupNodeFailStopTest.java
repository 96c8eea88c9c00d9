package io.backplane.group.runtime;

import io.backplane.group.protocol.Effect;
import io.backplane.group.protocol.EngineConfig;
import io.backplane.group.protocol.Frame;
import io.backplane.group.protocol.FrameCodec;
import io.backplane.group.protocol.Kind;
import io.backplane.group.protocol.Message;
import io.backplane.group.protocol.MessageId;
import io.backplane.group.protocol.Packet;
import io.backplane.group.protocol.ProcessId;
import io.backplane.group.protocol.View;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A GroupNode whose engine breaks an invariant stops visibly: the failure is kept, the listener is told
 * (Excluded), and the node no longer runs, instead of the engine thread dying silently while the
 * process looks alive.
 */
class GroupNodeFailStopTest {

    @Test
    void anInvariantViolationInTheEngineStopsTheNodeAndTellsTheListener() throws Exception {
        Map<Integer, InetSocketAddress> addresses = Map.of(0, local(freePort()), 1, local(freePort()));
        ProcessId self = new ProcessId(0, 1);
        ProcessId peer = new ProcessId(1, 1);
        // futureFramesMax 1: a second frame of a view not yet installed breaks the engine's invariant
        EngineConfig engine = new EngineConfig(5, 200, 500, 10, 10, 300, 20, 256, 4096, 16384, 4096, 1, 256, Set.of());
        List<Effect> seen = new CopyOnWriteArrayList<>();
        GroupNode node = new GroupNode(RuntimeConfig.defaults(self, addresses).withEngine(engine),
                new View(1, List.of(self, peer)), seen::add);
        TcpTransport raw = new TcpTransport(1, addresses, 1 << 20, 1 << 20, 200, frame -> { });
        try {
            node.start();
            raw.start();
            for (long seq = 1; seq <= 2; seq++) {
                Message m = new Message(new MessageId(peer, seq), 7, Kind.CBCAST, new long[] {0, seq}, new byte[0]);
                raw.send(0, FrameCodec.encode(new Packet(peer, self, seq, 0, new Frame.Data(m), 1, 0)));
            }
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (node.failure() == null && System.nanoTime() < deadline) {
                Thread.sleep(10); // polling a condition with a deadline, not sleeping and hoping
            }
            assertThat(node.failure()).isNotNull().hasMessageContaining("future frame buffer overflow");
            assertThat(seen).anySatisfy(e -> assertThat(e).isInstanceOf(Effect.Excluded.class));
        } finally {
            raw.close();
            node.close();
        }
    }

    private static InetSocketAddress local(int port) {
        return new InetSocketAddress("127.0.0.1", port);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
