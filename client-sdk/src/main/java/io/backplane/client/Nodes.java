package io.backplane.client;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The listed nodes and the one this client currently talks to. Every websocket and REST call of a
 * client goes to the current node; a connection that fails moves the whole client to the next one
 * (only the first failure of a node moves it, so sockets failing together do not skip nodes). Keeping
 * one node per client is what makes a post causally after the messages its session received
 * (CONTRACT.md §6.2) on a node that sequences everything it serves.
 */
final class Nodes {
    private final List<URI> http;
    private final AtomicInteger current = new AtomicInteger();

    Nodes(List<URI> uris) {
        if (uris == null || uris.isEmpty()) {
            throw new IllegalArgumentException("connect needs at least one node URI");
        }
        List<URI> list = new ArrayList<>();
        for (URI uri : uris) {
            String scheme = uri.getScheme();
            if (!"http".equals(scheme) && !"https".equals(scheme)) {
                throw new IllegalArgumentException("node URI must be http:// or https://, got " + uri);
            }
            if (uri.getHost() == null) {
                throw new IllegalArgumentException("node URI has no host: " + uri);
            }
            String s = uri.toString();
            list.add(URI.create(s.endsWith("/") ? s.substring(0, s.length() - 1) : s));
        }
        this.http = List.copyOf(list);
    }

    int currentIndex() {
        return current.get();
    }

    /** The node at {@code index} failed a caller: move on, unless another caller already did. */
    void failed(int index) {
        current.compareAndSet(index, (index + 1) % http.size());
    }

    URI http(int index) {
        return http.get(index);
    }

    URI websocket(int index) {
        URI base = http.get(index);
        String scheme = base.getScheme().equals("https") ? "wss" : "ws";
        return URI.create(scheme + base.toString().substring(base.getScheme().length()) + "/api/v1/ws");
    }

    int size() {
        return http.size();
    }
}
