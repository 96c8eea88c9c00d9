package io.backplane.node;

import io.backplane.node.config.ConfigException;
import io.backplane.node.config.NodeCommand;
import io.backplane.node.config.NodeConfig;
import java.io.PrintStream;
import java.net.InetAddress;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import sun.misc.Signal;

/**
 * {@code java -jar backplane-node.jar [flags]}: parses flags, starts a node, prints
 * {@code listening http=PORT} and {@code ready}, and shuts down cleanly on SIGTERM or SIGINT with
 * exit status 0. A bad flag or config exits 2, a failed start 1, each with one line on stderr.
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        NodeCommand command = new NodeCommand();
        CommandLine cli = new CommandLine(command);
        NodeConfig config;
        try {
            CommandLine.ParseResult parsed = cli.parseArgs(args);
            if (parsed.isUsageHelpRequested()) {
                cli.usage(out);
                return 0;
            }
            if (parsed.isVersionHelpRequested()) {
                cli.printVersionHelp(out);
                return 0;
            }
            config = command.resolve(hostName());
            io.backplane.node.ops.LogFormat.apply(command.logFormat());
        } catch (CommandLine.ParameterException e) {
            err.println("backplane: " + e.getMessage() + " (see --help)");
            return 2;
        } catch (ConfigException e) {
            err.println("backplane: " + e.getMessage());
            return 2;
        }

        BackplaneNode node;
        try {
            node = BackplaneNode.start(config);
        } catch (StartupException e) {
            err.println("backplane: " + e.getMessage());
            return 1;
        }
        CountDownLatch stop = new CountDownLatch(1);
        // Handling the signals ourselves (instead of a shutdown hook) is what lets a clean SIGTERM
        // shutdown exit 0 rather than the JVM's 143.
        Signal.handle(new Signal("TERM"), s -> stop.countDown());
        Signal.handle(new Signal("INT"), s -> stop.countDown());
        node.exitRequested().thenRun(stop::countDown); // a drain ends like SIGTERM: leave, close, exit 0
        out.println("listening http=" + node.httpPort());
        if (node.clusterPort() >= 0) {
            out.println("listening cluster=" + node.clusterPort());
        }
        if (node.wanPort() >= 0) {
            out.println("listening wan=" + node.wanPort());
        }
        out.flush();
        try {
            // "ready" once the node serves: clustered, that is once it is in a primary view and holds
            // the LAN's histories, which may take until a majority of the LAN is up.
            while (!node.isReady() && !stop.await(20, java.util.concurrent.TimeUnit.MILLISECONDS)) {
                Thread.onSpinWait();
            }
            if (stop.getCount() > 0) {
                out.println("ready");
                out.flush();
            }
            stop.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        node.close();
        return 0;
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            return "node";
        }
    }
}
