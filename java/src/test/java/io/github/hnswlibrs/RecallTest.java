package io.github.hnswlibrs;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RecallTest {
    @Test
    void recallAgainstBruteForceAtEf100() {
        int n = 10_000;
        int dim = 16;
        int k = 10;
        float[][] data = TestData.random(n, dim, 42);
        float[][] queries = TestData.random(200, dim, 43);
        try (HnswIndex index = new HnswIndex(Space.l2(dim), n);
                BruteForceIndex exact = new BruteForceIndex(Space.l2(dim), n)) {
            long[] labels = TestData.range(0, n);
            index.add(data, labels);
            exact.add(data, labels);
            BatchSearchResult truth = exact.knnBatch(queries, k);
            BatchSearchResult approx = index.knnBatch(queries, k, SearchOptions.defaults().withEf(100));
            int hits = 0;
            for (int q = 0; q < queries.length; q++) {
                hits += HnswIndexTest.overlap(truth.row(q).labels(), approx.row(q).labels());
            }
            double recall = hits / (double) (queries.length * k);
            assertTrue(recall >= 0.99, "recall@10 " + recall);
        }
    }
}
