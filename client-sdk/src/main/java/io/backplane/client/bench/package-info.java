/**
 * The {@code backplane-bench} load tool (CONTRACT.md §8), built as {@code client-sdk/target/backplane-bench.jar}.
 * It uses the SDK exactly as an application would, plus picocli and HdrHistogram (optional
 * dependencies of the SDK, shaded into the bench jar only).
 */
package io.backplane.client.bench;
