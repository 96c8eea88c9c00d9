/**
 * The deterministic simulator: a seeded network with loss, duplication, delay, reordering, partitions
 * and clogged links; crashes, restarts as new incarnations, joins and leaves; a safety phase with faults
 * and a liveness phase without; and the checker of every property of DESIGN.md §2 over the recorded
 * trace. {@link io.backplane.group.sim.Simulate} is the command behind {@code group-core/bin/simulate}.
 */
package io.backplane.group.sim;
