package io.backplane.group.sim;

/** One broken property with a readable explanation. */
public record Violation(Property property, String detail) {
    @Override
    public String toString() {
        return property + ": " + detail;
    }
}
