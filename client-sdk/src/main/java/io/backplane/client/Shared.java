package io.backplane.client;

import java.net.http.HttpClient;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;

/**
 * What one client's subscriptions and posters share: the HTTP client (one selector thread), the node
 * list, the options, a timer thread that only enqueues work, the thread that completes post futures,
 * and the session's causal context.
 */
record Shared(HttpClient http, Nodes nodes, ClientOptions options, ScheduledExecutorService timer,
              Executor callbacks, Backoff backoff, CausalContext causal) {

    /** Runs a future's completion on the callbacks thread (inline once the client is closed). */
    void callback(Runnable completion) {
        try {
            callbacks.execute(completion);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            completion.run();
        }
    }

    void report(BackplaneException e) {
        try {
            options.errorListener().accept(e);
        } catch (RuntimeException ignored) {
            // A failing error listener must not break the SDK's own threads; there is no one else to tell.
        }
    }
}
