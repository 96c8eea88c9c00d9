package io.backplane.node;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/**
 * What this build is: the version Maven built (build.properties, filtered), the git commit it was
 * built from (commit.properties, written at build time; "unknown" outside a checkout) and the Java
 * runtime running it. Shown by {@code --version} and {@code GET /api/v1/version}.
 */
public record BuildInfo(String version, String commit, String javaVersion, String javaVendor) {
    private static final BuildInfo CURRENT = load();

    public static BuildInfo current() {
        return CURRENT;
    }

    private static BuildInfo load() {
        Properties props = new Properties();
        read(props, "build.properties");
        read(props, "commit.properties");
        return new BuildInfo(props.getProperty("version", "unknown"), props.getProperty("commit", "unknown"),
                System.getProperty("java.version", "unknown"), System.getProperty("java.vendor", "unknown"));
    }

    private static void read(Properties props, String name) {
        try (InputStream in = BuildInfo.class.getResourceAsStream(name)) {
            if (in != null) {
                props.load(in);
            }
        } catch (IOException e) {
            // a jar whose resources cannot be read says "unknown" rather than fail to start
        }
    }

    /** The lines of {@code --version}: the first is "backplane VERSION" (deploy/package.sh reads it). */
    public String[] versionLines() {
        return new String[] {"backplane " + version, "commit " + commit, "java " + javaVersion + " (" + javaVendor + ")"};
    }

    /** {@code {"version","commit","java":{"version","vendor"}}}. */
    public String json() {
        return "{\"version\":" + quote(version) + ",\"commit\":" + quote(commit) + ",\"java\":{\"version\":"
                + quote(javaVersion) + ",\"vendor\":" + quote(javaVendor) + "}}";
    }

    private static String quote(String s) {
        return new String(io.backplane.node.topic.Payload.jsonString(s), java.nio.charset.StandardCharsets.UTF_8);
    }

    /** picocli's version provider for {@code --version}. */
    public static final class VersionProvider implements picocli.CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return current().versionLines();
        }
    }
}
