package io.backplane.group.runtime;

import io.backplane.group.protocol.Kind;
import io.backplane.group.protocol.MessageId;
import io.backplane.group.protocol.ProcessId;
import io.backplane.group.protocol.View;
import io.backplane.group.sim.PropertyChecker;
import io.backplane.group.sim.TraceEvent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Three member JVMs on loopback: one is killed with SIGKILL and comes back as a new incarnation, one is
 * paused with SIGSTOP past the failure timeout and, once continued, finds itself excluded. The merged
 * traces of all processes must satisfy every safety property the simulator checks.
 */
class MultiProcessKillTest {
    private static final long DEADLINE_MILLIS = 60_000;
    private final List<Process> processes = new ArrayList<>();
    private final List<TraceEvent> crashes = new ArrayList<>();
    @TempDir
    Path dir;
    private String addresses;

    @AfterEach
    void killAll() {
        processes.forEach(Process::destroyForcibly);
    }

    @Test
    void killedAndPausedMembersNeverBreakAProperty() throws Exception {
        List<String> hostPorts = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            try (ServerSocket s = new ServerSocket(0)) {
                hostPorts.add("127.0.0.1:" + s.getLocalPort());
            }
        }
        addresses = String.join(",", hostPorts);
        Process p0 = start(0, 1, "3");
        Process p1 = start(1, 1, "3");
        Process p2 = start(2, 1, "3");
        await("everyone delivers", () -> deliveries(0) > 20 && deliveries(1) > 20 && deliveries(2) > 20);

        p2.destroyForcibly(); // SIGKILL
        p2.waitFor();
        crashes.add(TraceEvent.of(nowMicros(), TraceEvent.Type.CRASH, new ProcessId(2, 1), "SIGKILL"));
        await("the survivors exclude the killed member", () -> lastViewSize(0) == 2 && lastViewSize(1) == 2);

        start(2, 2, "join");
        await("the new incarnation is admitted", () -> lastViewSize(0) == 3 && lastViewSize(1) == 3
                && deliveries(2) > 10);

        long pid = p1.pid();
        signal("STOP", pid);
        await("the paused member is excluded", () -> lastViewSize(0) == 2 && lastViewSize(2) == 2);
        signal("CONT", pid);
        await("the paused member learns it was excluded and exits", () -> !p1.isAlive());
        await("the survivors keep delivering", () -> deliveries(0) > 200 && deliveries(2) > 100);
        p0.destroyForcibly();

        List<TraceEvent> trace = mergedTrace();
        assertThat(trace).anyMatch(e -> e.type() == TraceEvent.Type.EXCLUDED);
        assertThat(PropertyChecker.checkSafety(trace)).isEmpty();
    }

    private Process start(int node, int incarnation, String foundersOrJoin) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), MemberMain.class.getName(), String.valueOf(node),
                String.valueOf(incarnation), addresses, foundersOrJoin, trace(node).toString(), "20");
        pb.redirectErrorStream(true);
        pb.redirectOutput(dir.resolve("out-" + node + "." + incarnation).toFile());
        Process p = pb.start();
        processes.add(p);
        return p;
    }

    private Path trace(int node) {
        return dir.resolve("trace-" + node);
    }

    private static void signal(String signal, long pid) throws Exception {
        int rc = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).start().waitFor();
        assertThat(rc).as("kill -%s %d", signal, pid).isZero();
    }

    private List<String[]> lines(int node) {
        try {
            if (!Files.exists(trace(node))) {
                return List.of();
            }
            List<String[]> out = new ArrayList<>();
            for (String l : Files.readAllLines(trace(node))) {
                String[] f = l.split("\t");
                if (f.length >= 4) {
                    out.add(f);
                }
            }
            return out;
        } catch (IOException e) {
            return List.of();
        }
    }

    private long deliveries(int node) {
        return lines(node).stream().filter(f -> f[2].equals("DELIVER")).count();
    }

    private int lastViewSize(int node) {
        int size = 0;
        for (String[] f : lines(node)) {
            if (f[2].equals("INSTALL")) {
                size = f[4].split(",").length;
            }
        }
        return size;
    }

    private static long nowMicros() {
        java.time.Instant now = java.time.Instant.now();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1000;
    }

    private static ProcessId pid(String s) {
        String[] p = s.split("\\.");
        return new ProcessId(Integer.parseInt(p[0]), Integer.parseInt(p[1]));
    }

    private List<TraceEvent> mergedTrace() {
        List<TraceEvent> all = new ArrayList<>(crashes);
        for (int node = 0; node < 3; node++) {
            for (String[] f : lines(node)) {
                long t = Long.parseLong(f[0]);
                ProcessId who = pid(f[1]);
                switch (f[2]) {
                    case "INSTALL" -> {
                        List<ProcessId> members = new ArrayList<>();
                        for (String m : f[4].split(",")) {
                            members.add(pid(m));
                        }
                        all.add(new TraceEvent(t, TraceEvent.Type.INSTALL, who, new View(Long.parseLong(f[3]), members),
                                null, 0, null, ""));
                    }
                    case "ACCEPT" -> {
                        List<ProcessId> members = new ArrayList<>();
                        for (String m : f[4].split(",")) {
                            members.add(pid(m));
                        }
                        all.add(new TraceEvent(t, TraceEvent.Type.ACCEPT, who, new View(Long.parseLong(f[3]), members),
                                null, Long.parseLong(f[5]), null, ""));
                    }
                    case "SEND" -> all.add(new TraceEvent(t, TraceEvent.Type.SEND, who, null,
                            new MessageId(who, Long.parseLong(f[5])), Long.parseLong(f[3]), Kind.valueOf(f[4]), ""));
                    case "DELIVER" -> all.add(new TraceEvent(t, TraceEvent.Type.DELIVER, who, null,
                            new MessageId(pid(f[6]), Long.parseLong(f[5])), Long.parseLong(f[3]), Kind.valueOf(f[4]), ""));
                    case "EXCLUDED" -> all.add(TraceEvent.of(t, TraceEvent.Type.EXCLUDED, who, ""));
                    case "LEFT" -> all.add(new TraceEvent(t, TraceEvent.Type.LEFT, who, null, null,
                            Long.parseLong(f[3]), null, ""));
                    default -> {
                    }
                }
            }
        }
        all.sort(Comparator.comparingLong(TraceEvent::tick)); // stable: each file keeps its own order
        return all;
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + DEADLINE_MILLIS * 1_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(50); // polling a condition with a deadline
        }
    }
}
