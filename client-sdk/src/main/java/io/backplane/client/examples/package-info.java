/**
 * Runnable examples of the SDK: {@link io.backplane.client.examples.QuotePublisher} posts quotes and
 * {@link io.backplane.client.examples.TickerSubscriber} prints them as a ticker. See
 * {@code client-sdk/README.md} for the commands.
 */
package io.backplane.client.examples;
