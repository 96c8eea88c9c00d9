package io.backplane.node.http;

import io.backplane.console.ConsoleAssets;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;

/**
 * Serves the web console (module {@code web-console}) from the classpath: its index at {@code /} and
 * every other file under {@code /console/}. Only those two paths are claimed, so no API route
 * ({@code /api/v1/**}, {@code /health}, {@code /metrics}) can ever be shadowed, and an unknown path
 * still gets the contract's JSON {@code 404 not-found} rather than an HTML page.
 */
final class ConsoleRoutes {
    /**
     * Browsers revalidate every file (If-Modified-Since answers 304 when unchanged) instead of trusting
     * a max-age: the file names carry no version, and a node upgraded in place must not leave operators
     * with a stale console talking to a newer API. The files are a few tens of KB. StaticHandler's own
     * header says "immutable", which is wrong for unversioned names, so it is replaced.
     */
    private static final String CACHE_CONTROL = "no-cache";

    private ConsoleRoutes() {
    }

    static void mount(Router router) {
        StaticHandler files = StaticHandler.create(ConsoleAssets.WEBROOT)
                .setCachingEnabled(true)
                .setDirectoryListing(false)
                .setIncludeHidden(false)
                .setDefaultContentEncoding("UTF-8");
        // HEAD too: load balancers and uptime probes often check a page with it.
        router.route("/").method(HttpMethod.GET).method(HttpMethod.HEAD)
                .handler(ConsoleRoutes::revalidate).handler(files);
        router.route(ConsoleAssets.URL_PREFIX + "*").method(HttpMethod.GET).method(HttpMethod.HEAD)
                .handler(ConsoleRoutes::revalidate).handler(files);
    }

    private static void revalidate(RoutingContext ctx) {
        ctx.addHeadersEndHandler(v -> {
            if (ctx.response().getStatusCode() < 400) {
                ctx.response().headers().set("Cache-Control", CACHE_CONTROL);
            }
        });
        ctx.next();
    }
}
