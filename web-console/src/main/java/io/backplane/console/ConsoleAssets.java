package io.backplane.console;

/**
 * Where the console's files sit on the classpath. The node serves this directory; keeping the path in
 * one constant of this module means moving the files breaks the node's compile, not its users.
 */
public final class ConsoleAssets {
    /** Classpath directory (no leading slash) holding {@code index.html}, the CSS and {@code js/}. */
    public static final String WEBROOT = "io/backplane/console/webroot";

    /** The URL prefix under which the assets other than the index are served. */
    public static final String URL_PREFIX = "/console/";

    private ConsoleAssets() {
    }
}
