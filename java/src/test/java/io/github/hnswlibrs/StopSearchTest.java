package io.github.hnswlibrs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Range (epsilon) and document (multi-vector) searches against a Java scan. */
class StopSearchTest {
    static final int DIM = 8;
    static final int N = 2000;

    static float l2(float[] a, float[] b) {
        return BruteForceIndexTest.l2(a, b);
    }

    @Test
    void rangeSearchIsExactOnBruteForceAndFindsMostOnHnsw() {
        float[][] data = TestData.random(N, DIM, 5);
        float[][] queries = TestData.random(20, DIM, 6);
        float eps = 4f;
        try (BruteForceIndex bf = new BruteForceIndex("l2", DIM, N);
                HnswIndex hnsw = new HnswIndex("l2", DIM, N)) {
            bf.add(data, TestData.range(0, N));
            hnsw.add(data, TestData.range(0, N));
            RangeSearchResult exact = bf.rangeSearch(queries, eps, N, SearchOptions.defaults());
            RangeSearchResult approx = hnsw.rangeSearch(queries, eps, N,
                    SearchOptions.defaults().withEf(200).withThreads(2));
            assertEquals(20, exact.rows());
            assertEquals(0, exact.lims()[0]);
            assertEquals(exact.labels().length, exact.lims()[20]);
            long total = 0;
            long found = 0;
            for (int i = 0; i < queries.length; i++) {
                int want = 0;
                for (float[] v : data) {
                    want += l2(queries[i], v) <= eps ? 1 : 0;
                }
                SearchResult row = exact.row(i);
                assertEquals(want, row.size());
                Set<Long> truth = new HashSet<>();
                for (int j = 0; j < row.size(); j++) {
                    truth.add(row.labels()[j]);
                    assertEquals(l2(queries[i], data[(int) row.labels()[j]]), row.distances()[j], 1e-5);
                    assertTrue(j == 0 || row.distances()[j - 1] <= row.distances()[j]);
                }
                SearchResult a = approx.row(i);
                for (int j = 0; j < a.size(); j++) {
                    assertTrue(a.distances()[j] <= eps);
                    found += truth.contains(a.labels()[j]) ? 1 : 0;
                }
                total += truth.size();
                assertEquals(a, hnsw.rangeSearch(queries[i], eps, N, SearchOptions.defaults().withEf(200)));
                SearchResult two = bf.rangeSearch(queries[i], eps, 2, SearchOptions.defaults());
                assertEquals(Math.min(2, row.size()), two.size());
            }
            assertTrue(total > 100);
            assertTrue(found > total * 0.95, "recall " + (double) found / total);
            // Filters apply.
            SearchOptions even = SearchOptions.defaults().withFilter(l -> l % 2 == 0);
            for (long l : hnsw.rangeSearch(queries, eps, N, even).labels()) {
                assertEquals(0, l % 2);
            }
        }
    }

    @Test
    void rangeSearchBadInput() {
        try (HnswIndex hnsw = new HnswIndex("l2", DIM, 10); BruteForceIndex bf = new BruteForceIndex("l2", DIM, 10)) {
            hnsw.add(TestData.random(10, DIM, 1), TestData.range(0, 10));
            float[] q = new float[DIM];
            SearchOptions o = SearchOptions.defaults();
            for (VectorIndex idx : new VectorIndex[] {hnsw, bf}) {
                assertTrue(assertThrows(IllegalArgumentException.class, () -> idx.rangeSearch(q, Float.NaN, 5, o))
                        .getMessage().contains("NaN"));
                assertTrue(assertThrows(IllegalArgumentException.class, () -> idx.rangeSearch(q, -1f, 5, o))
                        .getMessage().contains("at least 0"));
                assertTrue(assertThrows(IllegalArgumentException.class, () -> idx.rangeSearch(q, 1f, 0, o))
                        .getMessage().contains("max_results"));
                assertThrows(IllegalArgumentException.class, () -> idx.rangeSearch(q, 1f, -1, o));
                assertThrows(IllegalArgumentException.class, () -> idx.rangeSearch(new float[DIM - 1], 1f, 5, o));
                assertThrows(NullPointerException.class, () -> idx.rangeSearch((float[]) null, 1f, 5, o));
            }
            hnsw.close();
            assertThrows(IllegalStateException.class, () -> hnsw.rangeSearch(q, 1f, 5, o));
        }
    }

    @Test
    void documentSearch() {
        float[][] data = TestData.random(N, DIM, 7);
        float[][] queries = TestData.random(20, DIM, 8);
        long[] docs = new long[N];
        for (int i = 0; i < N; i++) {
            docs[i] = (i * 7919L) % 70;
        }
        try (BruteForceIndex bf = new BruteForceIndex("l2", DIM, N);
                HnswIndex hnsw = new HnswIndex("l2", DIM, N)) {
            bf.add(data, TestData.range(0, N));
            hnsw.add(data, TestData.range(0, N));
            DocSearchResult exact = bf.searchDocs(queries, 5, docs, SearchOptions.defaults());
            DocSearchResult approx = hnsw.searchDocs(queries, 5, docs, SearchOptions.defaults().withEf(20));
            int same = 0;
            for (int i = 0; i < queries.length; i++) {
                long[] want = exact.docs(i);
                assertEquals(5, want.length);
                SearchResult best = exact.row(i);
                for (int j = 0; j < 5; j++) {
                    assertEquals(docs[(int) best.labels()[j]], want[j]);
                    for (int r = 0; r < N; r++) {
                        if (docs[r] == want[j]) {
                            assertTrue(l2(queries[i], data[r]) >= best.distances()[j] - 1e-6f);
                        }
                    }
                }
                Set<Long> truth = new HashSet<>();
                for (long d : want) {
                    truth.add(d);
                }
                for (long d : approx.docs(i)) {
                    same += truth.contains(d) ? 1 : 0;
                }
            }
            assertTrue(same >= 95, "document recall " + same + " of 100");
            // Labels without a document (negative, or past the table) never come back.
            long[] evenOnly = new long[N / 2];
            for (int i = 0; i < evenOnly.length; i++) {
                evenOnly[i] = i % 2 == 0 ? docs[i] : -1;
            }
            DocSearchResult some = hnsw.searchDocs(queries, 3, evenOnly, SearchOptions.defaults());
            for (long l : some.labels()) {
                assertTrue(l % 2 == 0 && l < N / 2);
            }
            assertArrayEquals(new long[] {0, 1}, bf.searchDocs(new float[][] {queries[0]}, 1, docs,
                    SearchOptions.defaults()).lims());
            assertThrows(IllegalArgumentException.class, () -> bf.searchDocs(queries, 0, docs, SearchOptions.defaults()));
            assertThrows(NullPointerException.class, () -> bf.searchDocs(queries, 2, null, SearchOptions.defaults()));
            assertThrows(IllegalArgumentException.class,
                    () -> hnsw.searchDocs(new float[][] {new float[3]}, 2, docs, SearchOptions.defaults()));
        }
    }
}
