package io.github.hnswlibrs;

/**
 * A distance between two vectors, written in Java, for {@link Space#custom(int, FloatDistance)}.
 * Called from native worker threads, concurrently: it must be thread-safe. Slow by nature
 * (see {@link Space#custom(int, FloatDistance)}).
 */
@FunctionalInterface
public interface FloatDistance {
    /**
     * The distance of {@code a} and {@code b}; smaller means closer.
     *
     * @param a a vector of the space's dim (a fresh copy; it may be kept)
     * @param b another vector of the same length
     * @return the distance
     */
    float distance(float[] a, float[] b);
}
