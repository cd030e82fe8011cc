package io.github.hnswlibrs;

import java.util.Arrays;

/**
 * The best documents of a batch of queries (multi-vector search), each scored by its
 * closest vector: query {@code i}'s documents are entries {@code lims[i] .. lims[i+1]} of
 * {@code docs}, {@code labels} (the closest vector of each document) and
 * {@code distances}, closest first; a query has fewer than k when fewer documents exist
 * or pass the filter.
 *
 * @param lims {@code rows + 1} offsets
 * @param docs the documents
 * @param labels each document's closest vector
 * @param distances its distance to the query
 */
public record DocSearchResult(long[] lims, long[] docs, long[] labels, float[] distances) {
    /**
     * Number of queries.
     *
     * @return the row count
     */
    public int rows() {
        return lims.length - 1;
    }

    /**
     * The documents of query {@code row}.
     *
     * @param row the query's index in the batch
     * @return its documents, best first
     */
    public long[] docs(int row) {
        return Arrays.copyOfRange(docs, (int) lims[row], (int) lims[row + 1]);
    }

    /**
     * The closest vector of each document of query {@code row}.
     *
     * @param row the query's index in the batch
     * @return their labels and distances, best first
     */
    public SearchResult row(int row) {
        int from = (int) lims[row];
        int to = (int) lims[row + 1];
        return new SearchResult(Arrays.copyOfRange(labels, from, to), Arrays.copyOfRange(distances, from, to));
    }

    /** Unpacks what the native search returns: lims, docs, labels, distance bits. */
    static DocSearchResult unpack(long[] packed, int rows) {
        long[] lims = Arrays.copyOf(packed, rows + 1);
        int total = (int) lims[rows];
        int at = rows + 1;
        long[] docs = Arrays.copyOfRange(packed, at, at + total);
        long[] labels = Arrays.copyOfRange(packed, at + total, at + 2 * total);
        float[] distances = new float[total];
        for (int i = 0; i < total; i++) {
            distances[i] = Float.intBitsToFloat((int) packed[at + 2 * total + i]);
        }
        return new DocSearchResult(lims, docs, labels, distances);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DocSearchResult r && Arrays.equals(lims, r.lims) && Arrays.equals(docs, r.docs)
                && Arrays.equals(labels, r.labels) && Arrays.equals(distances, r.distances);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(new int[] {Arrays.hashCode(lims), Arrays.hashCode(docs), Arrays.hashCode(labels),
            Arrays.hashCode(distances)});
    }

    @Override
    public String toString() {
        return "DocSearchResult{rows=" + rows() + ", documents=" + docs.length + "}";
    }
}
