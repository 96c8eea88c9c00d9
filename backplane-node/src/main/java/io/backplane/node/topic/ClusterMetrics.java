package io.backplane.node.topic;

import io.backplane.group.protocol.View;

/** What the replication layer reports (the node's metrics implement it; tests may ignore it). */
public interface ClusterMetrics {
    void view(View view);

    void acknowledged(long nanosFromReceipt);

    void duplicate();

    void postTimedOut();

    void catchUpStarted();

    /** Records fetched from a donor so far (called as chunks land). */
    void caughtUp(long records);

    void catchUpFinished();

    void rejoined();

    ClusterMetrics NONE = new ClusterMetrics() {
        @Override
        public void view(View view) {
        }

        @Override
        public void acknowledged(long nanosFromReceipt) {
        }

        @Override
        public void duplicate() {
        }

        @Override
        public void postTimedOut() {
        }

        @Override
        public void catchUpStarted() {
        }

        @Override
        public void caughtUp(long records) {
        }

        @Override
        public void catchUpFinished() {
        }

        @Override
        public void rejoined() {
        }
    };
}
