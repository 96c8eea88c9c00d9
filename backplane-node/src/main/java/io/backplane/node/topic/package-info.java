/**
 * Topics: names and patterns, the envelope encoding, and the topic service that sequences posts,
 * stores them durably and hands them to subscribers with an exact history/live seam.
 */
package io.backplane.node.topic;
