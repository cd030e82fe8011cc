package io.github.hnswlibrs;

import java.util.Arrays;

/**
 * The neighbours of one query, closest first (equal distances in ascending label order).
 * Holds fewer than k entries when fewer elements are live and pass the filter.
 *
 * @param labels the labels of the neighbours
 * @param distances their distances to the query (squared for L2)
 */
public record SearchResult(long[] labels, float[] distances) {
    /**
     * Number of neighbours found.
     *
     * @return the length of {@link #labels()}
     */
    public int size() {
        return labels.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SearchResult r
                && Arrays.equals(labels, r.labels)
                && Arrays.equals(distances, r.distances);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(labels) + Arrays.hashCode(distances);
    }

    @Override
    public String toString() {
        return "SearchResult" + "{labels=" + Arrays.toString(labels) + ", distances="
                + Arrays.toString(distances) + "}";
    }
}
