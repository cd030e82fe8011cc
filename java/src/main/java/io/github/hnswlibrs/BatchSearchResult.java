package io.github.hnswlibrs;

import java.util.Arrays;

/**
 * The neighbours of a batch of queries, as hnswlib's {@code knn_query} lays them out:
 * row {@code i} holds query {@code i}'s neighbours, closest first, in
 * {@code labels[i*k .. i*k+k)} and {@code distances[i*k .. i*k+k)}. Unlike hnswlib, a row
 * may hold fewer than k neighbours (when fewer elements are live or pass the filter):
 * {@code counts[i]} says how many, and the unused entries hold label {@code -1} and
 * distance {@code +Infinity}.
 *
 * @param k the k of the search (the row length)
 * @param labels {@code rows * k} labels
 * @param distances {@code rows * k} distances
 * @param counts neighbours found per row
 */
public record BatchSearchResult(int k, long[] labels, float[] distances, int[] counts) {
    /**
     * Number of queries.
     *
     * @return the row count
     */
    public int rows() {
        return counts.length;
    }

    /**
     * The neighbours of query {@code row}, without the unused entries.
     *
     * @param row the query's index in the batch
     * @return its result
     */
    public SearchResult row(int row) {
        int from = row * k;
        int n = counts[row];
        return new SearchResult(Arrays.copyOfRange(labels, from, from + n),
                Arrays.copyOfRange(distances, from, from + n));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BatchSearchResult r && k == r.k
                && Arrays.equals(labels, r.labels)
                && Arrays.equals(distances, r.distances)
                && Arrays.equals(counts, r.counts);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(new int[] {k, Arrays.hashCode(labels), Arrays.hashCode(distances),
            Arrays.hashCode(counts)});
    }

    @Override
    public String toString() {
        return "BatchSearchResult{rows=" + rows() + ", k=" + k + "}";
    }
}
