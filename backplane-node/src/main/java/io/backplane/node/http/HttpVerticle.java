package io.backplane.node.http;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;

/**
 * One HTTP server instance on its own event loop; the node deploys one per core and Vert.x spreads
 * connections over them (they share the listening port).
 */
public final class HttpVerticle extends VerticleBase {
    private final HttpApi api;
    private final HttpServerOptions options;
    private HttpServer server;

    public HttpVerticle(HttpApi api, HttpServerOptions options) {
        this.api = api;
        this.options = options;
    }

    @Override
    public Future<?> start() {
        server = vertx.createHttpServer(options).requestHandler(api.router());
        return server.listen();
    }

    public int actualPort() {
        return server.actualPort();
    }
}
