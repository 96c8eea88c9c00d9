/** The web console: static assets served by every node at {@code /}, and where they live on the classpath. */
package io.backplane.console;
