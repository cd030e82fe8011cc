package io.github.hnswlibrs;

/**
 * What {@link HnswIndex#checkIntegrity()} (hnswlib's {@code checkIntegrity}) found in a sound
 * graph.
 *
 * @param connections links checked (hnswlib's {@code connections_checked})
 * @param minInbound fewest links into one element, over all levels
 * @param maxInbound most links into one element, over all levels
 * @param withoutInbound elements no other element links to (unreachable by searches, but not
 *     damage: the neighbour selection can prune every link to an element)
 */
public record IntegrityReport(long connections, long minInbound, long maxInbound, long withoutInbound) {}
