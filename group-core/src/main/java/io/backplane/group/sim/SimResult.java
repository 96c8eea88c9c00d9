package io.backplane.group.sim;

import java.util.List;

/**
 * Outcome of one simulated run.
 *
 * @param scenario   the knobs the seed produced
 * @param traceHash  hash of the whole trace: equal hashes mean equal executions
 * @param violations broken properties, empty when the run passed
 * @param trace      the recorded events
 * @param ticks      simulated ticks run
 * @param packets    packets handed to the network
 */
public record SimResult(SimScenario scenario, long traceHash, List<Violation> violations, List<TraceEvent> trace,
                        long ticks, long packets) {
    public boolean passed() {
        return violations.isEmpty();
    }

    public boolean broke(Property p) {
        return violations.stream().anyMatch(v -> v.property() == p);
    }
}
