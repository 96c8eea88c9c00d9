package io.backplane.systest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Each node in its own network namespace, joined by a bridge that the harness (in the root namespace)
 * is on too: node i has 10.231.0.(i+1), the harness 10.231.0.254. A partition is iptables DROP rules
 * inside the namespaces, between the two sides only, so the harness still reaches every node and can
 * see that the minority answers 503. Needs root, {@code ip} and {@code iptables}; {@link #unavailableReason()}
 * says what is missing, for a JUnit assumption.
 */
public final class NamespaceNetwork implements Network {
    static final String SUBNET = "10.231.0.";
    static final String HARNESS_ADDRESS = SUBNET + "254";

    private final int size;
    private final String tag = String.format("%04x", ThreadLocalRandom.current().nextInt(0x10000));
    private final List<String> namespaces = new ArrayList<>();
    private boolean created;

    public NamespaceNetwork(int size) {
        this.size = size;
        for (int i = 0; i < size; i++) {
            namespaces.add("bp" + tag + "n" + i);
        }
    }

    /** Why partitions cannot run here, or null when they can. */
    public static String unavailableReason() {
        if (!"root".equals(System.getProperty("user.name"))) {
            return "partitions need root (network namespaces and iptables); running as " + System.getProperty("user.name");
        }
        for (String tool : List.of("ip", "iptables")) {
            try {
                Process p = new ProcessBuilder(tool, tool.equals("ip") ? "-V" : "--version").redirectErrorStream(true).start();
                p.getInputStream().readAllBytes();
                if (p.waitFor() != 0) {
                    return tool + " is not usable here";
                }
            } catch (IOException e) {
                return tool + " is not installed (apt-get install " + (tool.equals("ip") ? "iproute2" : "iptables") + ")";
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "interrupted";
            }
        }
        return null;
    }

    /** Creates the bridge, the namespaces and their links; undone by {@link #close()}. */
    public NamespaceNetwork create() throws IOException, InterruptedException {
        created = true;
        String bridge = "bp" + tag + "br";
        run("ip", "link", "add", bridge, "type", "bridge");
        run("ip", "addr", "add", HARNESS_ADDRESS + "/24", "dev", bridge);
        run("ip", "link", "set", bridge, "up");
        // Where br_netfilter is loaded, bridged frames cross the root FORWARD chain (whose policy a container
        // host may have set to DROP): let this bridge's own traffic through.
        runIgnoringFailure("iptables", "-I", "FORWARD", "-i", bridge, "-o", bridge, "-j", "ACCEPT");
        for (int i = 0; i < size; i++) {
            String ns = namespaces.get(i);
            String host = "bp" + tag + "h" + i;
            String peer = "bp" + tag + "p" + i;
            run("ip", "netns", "add", ns);
            run("ip", "link", "add", host, "type", "veth", "peer", "name", peer);
            run("ip", "link", "set", host, "master", bridge);
            run("ip", "link", "set", host, "up");
            run("ip", "link", "set", peer, "netns", ns);
            run("ip", "netns", "exec", ns, "ip", "addr", "add", address(i) + "/24", "dev", peer);
            run("ip", "netns", "exec", ns, "ip", "link", "set", peer, "up");
            run("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up");
        }
        return this;
    }

    @Override
    public String address(int index) {
        return SUBNET + (index + 1);
    }

    @Override
    public List<String> commandPrefix(int index) {
        return List.of("ip", "netns", "exec", namespaces.get(index));
    }

    @Override
    public void partition(Set<Integer> side) throws IOException, InterruptedException {
        for (int a = 0; a < size; a++) {
            for (int b = 0; b < size; b++) {
                if (side.contains(a) != side.contains(b)) {
                    String ns = namespaces.get(a);
                    run("ip", "netns", "exec", ns, "iptables", "-A", "INPUT", "-s", address(b), "-j", "DROP");
                    run("ip", "netns", "exec", ns, "iptables", "-A", "OUTPUT", "-d", address(b), "-j", "DROP");
                }
            }
        }
    }

    @Override
    public void heal() throws InterruptedException {
        if (!created) {
            return;
        }
        for (String ns : namespaces) {
            runIgnoringFailure("ip", "netns", "exec", ns, "iptables", "-F");
        }
    }

    /** Removes the rules, namespaces and bridge; best effort, each step on its own, so one failure leaves no more behind. */
    @Override
    public void close() {
        if (!created) {
            return;
        }
        try {
            heal();
            String bridge = "bp" + tag + "br";
            runIgnoringFailure("iptables", "-D", "FORWARD", "-i", bridge, "-o", bridge, "-j", "ACCEPT");
            for (String ns : namespaces) {
                runIgnoringFailure("ip", "netns", "delete", ns);
            }
            runIgnoringFailure("ip", "link", "delete", bridge);
            created = false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (p.waitFor() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + output);
        }
    }

    private static void runIgnoringFailure(String... command) throws InterruptedException {
        try {
            run(command);
        } catch (IOException e) {
            System.err.println("[systest] ignored: " + e.getMessage());
        }
    }
}
