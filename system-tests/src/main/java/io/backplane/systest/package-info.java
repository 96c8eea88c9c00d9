/**
 * The system-test harness: real node processes ({@link io.backplane.systest.NodeProcess},
 * {@link io.backplane.systest.Cluster}), a workload that records everything it is told
 * ({@link io.backplane.systest.Publisher}, {@link io.backplane.systest.Subscriber} into a
 * {@link io.backplane.systest.Trace}), fault schedules run by {@link io.backplane.systest.SystemTestRun},
 * and the {@link io.backplane.systest.Checker} that judges a trace plus the replicas' final histories
 * against CONTRACT.md and DESIGN.md §6. It knows the external contract only (REST, websocket, the
 * command line and signals), never server classes, so it judges the cluster the way a user would.
 */
package io.backplane.systest;
