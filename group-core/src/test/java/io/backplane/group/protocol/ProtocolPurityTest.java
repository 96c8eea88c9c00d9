package io.backplane.group.protocol;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Keeps habit 2 true: the protocol (and the simulator that must replay it exactly) takes time and
 * randomness from its caller and never touches threads, clocks, sockets or unseeded randomness.
 */
class ProtocolPurityTest {
    private static final List<String> FORBIDDEN = List.of(
            "System.nanoTime", "System.currentTimeMillis", "Thread.sleep", "new Thread", "new Random",
            "ThreadLocalRandom", "Math.random", "Instant.now", "LocalDateTime.now", "Clock.system",
            "Executors", "java.net.", "java.nio.channels", "CompletableFuture", "synchronized", "UUID.randomUUID");

    @Test
    void protocolSourcesUseNoClockThreadSocketOrRandomness() throws IOException {
        assertThat(violations(Path.of("src/main/java/io/backplane/group/protocol"))).isEmpty();
    }

    @Test
    void groupLayerSourcesUseNoClockThreadSocketOrRandomness() throws IOException {
        assertThat(violations(Path.of("src/main/java/io/backplane/group/groups"))).isEmpty();
    }

    @Test
    void toolkitSourcesUseNoClockThreadSocketOrRandomness() throws IOException {
        assertThat(violations(Path.of("src/main/java/io/backplane/group/toolkit"))).isEmpty();
    }

    @Test
    void simulatorSourcesUseNoClockThreadSocketOrUnseededRandomness() throws IOException {
        assertThat(violations(Path.of("src/main/java/io/backplane/group/sim"))).isEmpty();
    }

    @Test
    void theScanFindsAForbiddenCall() throws IOException {
        Path dir = Files.createTempDirectory("purity");
        Files.writeString(dir.resolve("Bad.java"), "class Bad { long t = System.nanoTime(); }");
        assertThat(violations(dir)).hasSize(1);
    }

    private static List<String> violations(Path dir) throws IOException {
        List<String> out = new ArrayList<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                List<String> lines = Files.readAllLines(f);
                for (int i = 0; i < lines.size(); i++) {
                    String line = lines.get(i).strip();
                    if (line.startsWith("*") || line.startsWith("//") || line.startsWith("/*")) {
                        continue;
                    }
                    for (String bad : FORBIDDEN) {
                        if (line.contains(bad)) {
                            out.add(f.getFileName() + ":" + (i + 1) + " uses " + bad);
                        }
                    }
                }
            }
        }
        return out;
    }
}
