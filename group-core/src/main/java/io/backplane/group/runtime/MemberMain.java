package io.backplane.group.runtime;

import io.backplane.group.protocol.Effect;
import io.backplane.group.protocol.Kind;
import io.backplane.group.protocol.ProcessId;
import io.backplane.group.protocol.View;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * One group member as its own process, for system tests: joins or founds the group, multicasts a mix of
 * CBCASTs and ABCASTs at a steady rate, and appends every send, delivery and view to a trace file that
 * the simulator's property checker reads. Exits when excluded or when it has left.
 *
 * <p>Usage: {@code MemberMain node incarnation host:port,host:port,... founders|join traceFile sendEveryMillis}
 * where {@code founders} is the number of initial members (nodes 0..founders-1, incarnation 1).
 *
 * <p>Trace line format (tab-separated, one per effect, flushed before the next effect is acted on):
 * {@code micros  node.incarnation  INSTALL|SEND|DELIVER|EXCLUDED|LEFT  view-or-message...}
 */
public final class MemberMain {
    private MemberMain() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 6) {
            System.err.println("usage: MemberMain node incarnation addresses founders|join traceFile sendEveryMillis");
            System.exit(2);
        }
        int node = Integer.parseInt(args[0]);
        ProcessId self = new ProcessId(node, Integer.parseInt(args[1]));
        Map<Integer, InetSocketAddress> addresses = new HashMap<>();
        String[] hostPorts = args[2].split(",");
        for (int i = 0; i < hostPorts.length; i++) {
            String[] hp = hostPorts[i].split(":");
            addresses.put(i, new InetSocketAddress(hp[0], Integer.parseInt(hp[1])));
        }
        View initial = null;
        if (!args[3].equals("join")) {
            List<ProcessId> members = new ArrayList<>();
            for (int i = 0; i < Integer.parseInt(args[3]); i++) {
                members.add(new ProcessId(i, 1));
            }
            initial = new View(1, members);
        }
        long sendEveryMillis = Long.parseLong(args[5]);
        BufferedWriter trace = Files.newBufferedWriter(Path.of(args[4]), StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        CountDownLatch done = new CountDownLatch(1);
        GroupNode member = new GroupNode(RuntimeConfig.defaults(self, addresses)
                .withEngine(RuntimeConfig.starvationTolerantEngine()), initial, e -> {
                    String line = line(self, e);
                    if (line != null) {
                        try {
                            trace.write(line);
                            trace.newLine();
                            trace.flush();
                        } catch (IOException ex) {
                            throw new UncheckedIOException(ex);
                        }
                    }
                    if (e instanceof Effect.Excluded || e instanceof Effect.Left) {
                        done.countDown();
                    }
                });
        member.start();
        long n = 0;
        while (done.getCount() > 0) {
            if (member.view() != null) {
                Kind kind = n % 2 == 0 ? Kind.ABCAST : Kind.CBCAST;
                try {
                    member.multicast(kind, (self + "-" + n).getBytes(StandardCharsets.UTF_8));
                    n++;
                } catch (IllegalStateException full) {
                    // request queue full while blocked: skip this beat
                }
            }
            done.await(sendEveryMillis, java.util.concurrent.TimeUnit.MILLISECONDS);
        }
        member.close();
        trace.close();
        System.exit(0);
    }

    private static String line(ProcessId self, Effect e) {
        // wall clock in microseconds: comparable across processes on one host, and a send is recorded
        // before its packet leaves, so sorting by it gives an order consistent with causality
        java.time.Instant now = java.time.Instant.now();
        long micros = now.getEpochSecond() * 1_000_000L + now.getNano() / 1000;
        String who = self.node() + "." + self.incarnation();
        if (e instanceof Effect.InstallView iv) {
            StringBuilder b = new StringBuilder();
            for (ProcessId m : iv.view().members()) {
                b.append(b.length() == 0 ? "" : ",").append(m.node()).append('.').append(m.incarnation());
            }
            return micros + "\t" + who + "\tINSTALL\t" + iv.view().id() + "\t" + b;
        } else if (e instanceof Effect.Accepted a) {
            StringBuilder b = new StringBuilder();
            for (ProcessId m : a.next().members()) {
                b.append(b.length() == 0 ? "" : ",").append(m.node()).append('.').append(m.incarnation());
            }
            return micros + "\t" + who + "\tACCEPT\t" + a.next().id() + "\t" + b + "\t" + a.viewId();
        } else if (e instanceof Effect.Sent s) {
            return micros + "\t" + who + "\tSEND\t" + s.viewId() + "\t" + s.kind() + "\t" + s.id().seq();
        } else if (e instanceof Effect.Deliver d) {
            return micros + "\t" + who + "\tDELIVER\t" + d.viewId() + "\t" + d.kind() + "\t" + d.id().seq() + "\t"
                    + d.id().sender().node() + "." + d.id().sender().incarnation();
        } else if (e instanceof Effect.Excluded x) {
            return micros + "\t" + who + "\tEXCLUDED\t" + x.viewId();
        } else if (e instanceof Effect.Left l) {
            return micros + "\t" + who + "\tLEFT\t" + l.viewId();
        }
        return null;
    }
}
