package io.github.hnswlibrs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BruteForceIndexTest {
    @Test
    void exactSearchAgainstAJavaScan() {
        float[][] data = TestData.random(400, 6, 2);
        float[][] queries = TestData.random(10, 6, 3);
        try (BruteForceIndex bf = new BruteForceIndex("l2", 6, 400)) {
            bf.add(data, TestData.range(0, 400));
            for (float[] q : queries) {
                SearchResult r = bf.knn(q, 3);
                // The nearest by a plain Java scan.
                int best = 0;
                for (int i = 1; i < data.length; i++) {
                    if (l2(q, data[i]) < l2(q, data[best])) {
                        best = i;
                    }
                }
                assertEquals(best, r.labels()[0]);
                assertEquals(l2(q, data[best]), r.distances()[0], 1e-4);
                assertTrue(r.distances()[0] <= r.distances()[1] && r.distances()[1] <= r.distances()[2]);
            }
            BatchSearchResult b = bf.knnBatch(queries, 3, SearchOptions.defaults().withThreads(2));
            for (int i = 0; i < queries.length; i++) {
                assertEquals(bf.knn(queries[i], 3), b.row(i));
            }
        }
    }

    static float l2(float[] a, float[] b) {
        float s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (a[i] - b[i]) * (a[i] - b[i]);
        }
        return s;
    }

    @Test
    void addRemoveResizeAndRead() {
        try (BruteForceIndex bf = new BruteForceIndex(Space.ip(2), 2)) {
            bf.add(new float[] {1, 0}, 10);
            bf.add(new float[][] {{0, 1}}, new long[] {11});
            assertEquals(2, bf.size());
            assertEquals(2, bf.maxElements());
            bf.resize(3);
            bf.add(TestData.direct(new float[][] {{1, 1}}), new long[] {12});
            assertArrayEquals(new long[] {10, 11, 12}, bf.ids());
            assertArrayEquals(new float[] {0, 1}, bf.getItem(11));
            bf.remove(10);
            assertFalse(bf.contains(10));
            assertArrayEquals(new long[] {11, 12}, bf.ids());
            // ip distance is 1 - dot: {1,1}.{1,1} = 2 gives -1.
            SearchResult r = bf.knn(new float[] {1, 1}, 5);
            assertArrayEquals(new long[] {12, 11}, r.labels());
            assertArrayEquals(new float[] {-1, 0}, r.distances());
            // An existing label is overwritten in place.
            bf.add(new float[] {3, 3}, 11);
            assertEquals(2, bf.size());
            assertArrayEquals(new float[] {3, 3}, bf.getItem(11));
        }
    }

    @Test
    void filter() {
        try (BruteForceIndex bf = new BruteForceIndex(Space.l2(1), 10)) {
            bf.add(new float[][] {{0}, {1}, {2}, {3}}, new long[] {0, 1, 2, 3});
            SearchResult r = bf.knn(new float[] {0}, 2, SearchOptions.defaults().withFilter(l -> l >= 2));
            assertArrayEquals(new long[] {2, 3}, r.labels());
        }
    }

    @Test
    void saveLoadAndBytes(@TempDir Path dir) throws Exception {
        float[][] data = TestData.random(50, 4, 5);
        Path file = dir.resolve("bf.bin");
        try (BruteForceIndex bf = new BruteForceIndex(Space.cosine(4), 60)) {
            bf.add(data, TestData.range(100, 50));
            bf.save(file);
            BatchSearchResult before = bf.knnBatch(data, 4);
            try (BruteForceIndex loaded = BruteForceIndex.load(file, Space.cosine(4), 0);
                    BruteForceIndex copy = BruteForceIndex.fromBytes(bf.toBytes(), Space.cosine(4), 100)) {
                assertEquals(60, loaded.maxElements());
                assertEquals(100, copy.maxElements());
                assertEquals(before, loaded.knnBatch(data, 4));
                assertEquals(before, copy.knnBatch(data, 4));
                assertArrayEquals(bf.toBytes(), loaded.toBytes());
            }
        }
    }
}
