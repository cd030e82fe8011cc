package io.github.hnswlibrs;

import java.util.Arrays;

/**
 * The results of a range (epsilon) search of a batch of queries, in FAISS's
 * {@code range_search} layout: query {@code i}'s results are entries
 * {@code lims[i] .. lims[i+1]} of {@code labels} and {@code distances}, closest first.
 *
 * @param lims {@code rows + 1} offsets; {@code lims[rows]} is the number of results
 * @param labels the labels of all queries' results, query after query
 * @param distances their distances (squared for L2)
 */
public record RangeSearchResult(long[] lims, long[] labels, float[] distances) {
    /**
     * Number of queries.
     *
     * @return the row count
     */
    public int rows() {
        return lims.length - 1;
    }

    /**
     * The results of query {@code row}.
     *
     * @param row the query's index in the batch
     * @return its results, closest first
     */
    public SearchResult row(int row) {
        int from = (int) lims[row];
        int to = (int) lims[row + 1];
        return new SearchResult(Arrays.copyOfRange(labels, from, to), Arrays.copyOfRange(distances, from, to));
    }

    /** Unpacks what the native search returns: lims, then labels, then distance bits. */
    static RangeSearchResult unpack(long[] packed, int rows) {
        long[] lims = Arrays.copyOf(packed, rows + 1);
        int total = (int) lims[rows];
        long[] labels = Arrays.copyOfRange(packed, rows + 1, rows + 1 + total);
        float[] distances = new float[total];
        for (int i = 0; i < total; i++) {
            distances[i] = Float.intBitsToFloat((int) packed[rows + 1 + total + i]);
        }
        return new RangeSearchResult(lims, labels, distances);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RangeSearchResult r && Arrays.equals(lims, r.lims) && Arrays.equals(labels, r.labels)
                && Arrays.equals(distances, r.distances);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(new int[] {Arrays.hashCode(lims), Arrays.hashCode(labels),
            Arrays.hashCode(distances)});
    }

    @Override
    public String toString() {
        return "RangeSearchResult{rows=" + rows() + ", results=" + labels.length + "}";
    }
}
