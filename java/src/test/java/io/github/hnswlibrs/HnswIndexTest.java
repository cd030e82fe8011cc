package io.github.hnswlibrs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HnswIndexTest {
    static final int DIM = 8;

    /** n random vectors labelled 0..n-1, added on one thread so the graph is reproducible. */
    static HnswIndex filled(int n) {
        HnswIndex index = new HnswIndex(Space.l2(DIM), n);
        index.add(TestData.random(n, DIM, 1), TestData.range(0, n), AddOptions.defaults().withThreads(1));
        return index;
    }

    @Test
    void addAndFindEachVector() {
        float[][] data = TestData.random(200, DIM, 1);
        try (HnswIndex index = new HnswIndex(Space.l2(DIM), 200)) {
            index.add(data, TestData.range(100, 200), AddOptions.defaults().withThreads(1));
            index.setEf(50);
            for (int i = 0; i < data.length; i++) {
                SearchResult r = index.knn(data[i], 1);
                assertEquals(100 + i, r.labels()[0]);
                assertEquals(0f, r.distances()[0]);
            }
        }
    }

    @Test
    void resultsAreClosestFirstWithSquaredL2Distances() {
        try (HnswIndex index = new HnswIndex("l2", 2, 10)) {
            index.add(new float[] {0, 0}, 1);
            index.add(new float[] {3, 4}, 2);
            index.add(new float[] {1, 0}, 3);
            SearchResult r = index.knn(new float[] {0, 0}, 3);
            assertArrayEquals(new long[] {1, 3, 2}, r.labels());
            assertArrayEquals(new float[] {0, 1, 25}, r.distances());
            assertEquals(3, r.size());
        }
    }

    @Test
    void ipAndCosineDistancesAreHnswlibs() {
        try (HnswIndex ip = new HnswIndex(Space.ip(2), 4); HnswIndex cos = new HnswIndex(Space.cosine(2), 4)) {
            ip.add(new float[] {2, 0}, 7);
            assertEquals(1 - 2 * 3, ip.knn(new float[] {3, 0}, 1).distances()[0], 1e-6);
            cos.add(new float[] {2, 0}, 7);
            assertEquals(0f, cos.knn(new float[] {5, 0}, 1).distances()[0], 1e-6);
            assertEquals(1f, cos.knn(new float[] {0, 5}, 1).distances()[0], 1e-6);
            // Cosine stores normalised vectors, as hnswlib.
            assertArrayEquals(new float[] {1, 0}, cos.getItem(7), 1e-6f);
        }
    }

    @Test
    void fewerThanKWhenFewerElements() {
        try (HnswIndex index = new HnswIndex(Space.l2(2), 10)) {
            assertEquals(0, index.knn(new float[] {0, 0}, 3).size());
            index.add(new float[] {1, 1}, 5);
            SearchResult r = index.knn(new float[] {0, 0}, 3);
            assertArrayEquals(new long[] {5}, r.labels());
            BatchSearchResult b = index.knnBatch(new float[][] {{0, 0}, {1, 1}}, 2);
            assertArrayEquals(new int[] {1, 1}, b.counts());
            assertArrayEquals(new long[] {5, -1, 5, -1}, b.labels());
            assertEquals(Float.POSITIVE_INFINITY, b.distances()[1]);
            assertArrayEquals(new long[] {5}, b.row(1).labels());
        }
    }

    @Test
    void hugeKIsAnsweredWithoutHugeArrays() {
        // HNSW search is approximate (a multi-threaded build may leave a node unreachable):
        // it returns at most the element count; brute force returns exactly all of them.
        try (HnswIndex index = filled(50); BruteForceIndex bf = new BruteForceIndex(Space.l2(DIM), 50)) {
            SearchResult r = index.knn(new float[DIM], Integer.MAX_VALUE);
            assertTrue(r.size() >= 45 && r.size() <= 50, "size " + r.size());
            BatchSearchResult b = index.knnBatch(new float[][] {new float[DIM]}, 1_000_000);
            assertTrue(b.counts()[0] >= 45 && b.counts()[0] <= 50, "count " + b.counts()[0]);
            bf.add(TestData.random(50, DIM, 1), TestData.range(0, 50));
            assertEquals(50, bf.knn(new float[DIM], Integer.MAX_VALUE).size());
            assertEquals(50, bf.knnBatch(new float[][] {new float[DIM]}, 1_000_000).counts()[0]);
        }
    }

    @Test
    void batchSearchMatchesSingleSearches() {
        float[][] queries = TestData.random(30, DIM, 9);
        try (HnswIndex index = filled(500)) {
            index.setEf(40);
            BatchSearchResult batch = index.knnBatch(queries, 5, SearchOptions.defaults().withThreads(2));
            assertEquals(30, batch.rows());
            assertEquals(5, batch.k());
            for (int i = 0; i < queries.length; i++) {
                assertEquals(index.knn(queries[i], 5), batch.row(i));
            }
        }
    }

    @Test
    void directFloatBuffersAreReadInPlace() {
        float[][] data = TestData.random(100, DIM, 3);
        try (HnswIndex index = new HnswIndex(Space.l2(DIM), 100)) {
            FloatBuffer buf = TestData.direct(data);
            buf.position(10 * DIM); // only rows 10..99
            index.add(buf, TestData.range(10, 90), AddOptions.defaults().withThreads(1));
            assertEquals(90, index.size());
            assertFalse(index.contains(9));
            assertTrue(index.contains(99));
            FloatBuffer q = TestData.direct(new float[][] {data[42]});
            assertEquals(42, index.knn(q, 1, SearchOptions.defaults()).labels()[0]);
            FloatBuffer qs = TestData.direct(new float[][] {data[42], data[77]});
            BatchSearchResult b = index.knnBatch(qs, 1, SearchOptions.defaults());
            assertArrayEquals(new long[] {42, 77}, b.labels());
            // A direct buffer slice at an offset works too.
            qs.position(DIM);
            assertEquals(77, index.knn(qs.slice(), 1, SearchOptions.defaults()).labels()[0]);
        }
    }

    @Test
    void automaticLabelsCountUpAsInHnswlib() {
        try (HnswIndex index = new HnswIndex(Space.l2(2), 10)) {
            index.add(new float[][] {{0, 0}, {1, 1}});
            index.add(new float[][] {{2, 2}}, new long[] {7}, AddOptions.defaults());
            index.add(new float[][] {{3, 3}});
            // The counter advances on every add of rows, labelled or not.
            assertArrayEquals(new long[] {0, 1, 3, 7}, index.ids());
        }
    }

    @Test
    void filterRestrictsResults() {
        try (HnswIndex index = filled(300)) {
            index.setEf(100);
            float[] q = TestData.random(1, DIM, 5)[0];
            SearchResult r = index.knn(q, 10, SearchOptions.defaults().withFilter(l -> l % 3 == 0));
            assertEquals(10, r.size());
            for (long l : r.labels()) {
                assertEquals(0, l % 3);
            }
            BatchSearchResult b = index.knnBatch(new float[][] {q, q}, 10,
                    SearchOptions.defaults().withFilter(l -> l % 3 == 0).withThreads(2));
            assertEquals(r, b.row(0));
            assertEquals(r, b.row(1));
            SearchResult none = index.knn(q, 10, SearchOptions.defaults().withFilter(l -> false));
            assertEquals(0, none.size());
        }
    }

    @Test
    void markAndUnmarkDeleted() {
        try (HnswIndex index = filled(100)) {
            float[][] data = TestData.random(100, DIM, 1);
            index.markDeleted(42);
            assertTrue(index.isDeleted(42));
            assertEquals(1, index.deletedCount());
            assertEquals(100, index.size());
            assertTrue(index.contains(42));
            index.setEf(100);
            for (long l : index.knn(data[42], 100).labels()) {
                assertTrue(l != 42);
            }
            assertThrows(LabelNotFoundException.class, () -> index.getItem(42));
            index.unmarkDeleted(42);
            assertFalse(index.isDeleted(42));
            assertEquals(0, index.deletedCount());
            assertEquals(42, index.knn(data[42], 1).labels()[0]);
        }
    }

    @Test
    void replaceDeletedReusesSlots() {
        try (HnswIndex index = new HnswIndex(Space.l2(2), 2, 16, 200, 100, true)) {
            assertTrue(index.allowReplaceDeleted());
            index.add(new float[] {0, 0}, 1);
            index.add(new float[] {1, 1}, 2);
            index.markDeleted(1);
            assertThrows(CapacityExceededException.class, () -> index.add(new float[] {5, 5}, 3));
            index.add(new float[] {5, 5}, 3, true);
            assertEquals(2, index.size());
            assertFalse(index.contains(1));
            assertEquals(3, index.knn(new float[] {5, 5}, 1).labels()[0]);
        }
    }

    @Test
    void updateOfAnExistingLabel() {
        try (HnswIndex index = new HnswIndex(Space.l2(2), 4)) {
            index.add(new float[] {0, 0}, 1);
            index.add(new float[] {9, 9}, 1);
            assertEquals(1, index.size());
            assertArrayEquals(new float[] {9, 9}, index.getItem(1));
        }
    }

    @Test
    void resizeGrowsTheCapacity() {
        try (HnswIndex index = new HnswIndex(Space.l2(2), 1)) {
            index.add(new float[] {0, 0}, 1);
            assertThrows(CapacityExceededException.class, () -> index.add(new float[] {1, 1}, 2));
            index.resize(5);
            assertEquals(5, index.maxElements());
            index.add(new float[] {1, 1}, 2);
            assertEquals(2, index.size());
            assertThrows(IllegalStateException.class, () -> index.resize(1));
        }
    }

    @Test
    void efPerIndexAndPerCall() {
        try (HnswIndex index = filled(2000)) {
            assertEquals(10, index.getEf());
            index.setEf(77);
            assertEquals(77, index.getEf());
            float[][] queries = TestData.random(20, DIM, 11);
            try (BruteForceIndex exact = new BruteForceIndex(Space.l2(DIM), 2000)) {
                exact.add(TestData.random(2000, DIM, 1), TestData.range(0, 2000));
                int lowHits = 0;
                int highHits = 0;
                index.setEf(1);
                for (float[] q : queries) {
                    long[] truth = exact.knn(q, 10).labels();
                    lowHits += overlap(truth, index.knn(q, 10).labels());
                    highHits += overlap(truth, index.knn(q, 10, SearchOptions.defaults().withEf(500)).labels());
                }
                assertTrue(highHits >= 198, "hits at ef=500: " + highHits);
                assertTrue(lowHits <= highHits);
                assertEquals(1, index.getEf(), "a per-call ef leaves the index's ef alone");
            }
        }
    }

    static int overlap(long[] a, long[] b) {
        int n = 0;
        for (long x : a) {
            for (long y : b) {
                if (x == y) {
                    n++;
                }
            }
        }
        return n;
    }

    @Test
    void parametersAndCounts() {
        try (HnswIndex index = new HnswIndex(Space.cosine(DIM), 123, 12, 34, 5, false)) {
            assertEquals(12, index.m());
            assertEquals(34, index.efConstruction());
            assertEquals(123, index.maxElements());
            assertEquals(0, index.size());
            assertEquals(DIM, index.dim());
            assertEquals("cosine", index.space().name());
            assertFalse(index.allowReplaceDeleted());
            index.add(TestData.random(5, DIM, 2), TestData.range(0, 5));
            assertEquals(5, index.size());
            assertEquals(index.toBytes().length, index.indexFileSize());
        }
    }

    @Test
    void getItemsReturnsStoredVectors() {
        float[][] data = TestData.random(10, DIM, 1);
        try (HnswIndex index = filled(10)) {
            assertArrayEquals(data[3], index.getItem(3));
            float[][] items = index.getItems(new long[] {9, 0});
            assertArrayEquals(data[9], items[0]);
            assertArrayEquals(data[0], items[1]);
            assertThrows(LabelNotFoundException.class, () -> index.getItems(new long[] {0, 99}));
        }
    }

    @Test
    void labelsAreUnsigned64Bit() {
        try (HnswIndex index = new HnswIndex(Space.l2(2), 4)) {
            index.add(new float[] {0, 0}, -1L); // 2^64 - 1
            index.add(new float[] {1, 1}, Long.MIN_VALUE); // 2^63
            index.add(new float[] {2, 2}, 5);
            assertArrayEquals(new long[] {5, Long.MIN_VALUE, -1L}, index.ids());
            assertEquals(-1L, index.knn(new float[] {0, 0}, 1).labels()[0]);
        }
    }

    @Test
    void unsyncedSaveWritesTheSameFile(@TempDir Path dir) throws Exception {
        Path synced = dir.resolve("synced.bin");
        Path unsynced = dir.resolve("unsynced.bin");
        Files.write(unsynced, new byte[] {1, 2, 3});
        try (HnswIndex index = filled(200); BruteForceIndex bf = new BruteForceIndex(Space.l2(DIM), 10)) {
            index.save(synced);
            index.save(unsynced, false);
            assertArrayEquals(Files.readAllBytes(synced), Files.readAllBytes(unsynced));
            bf.add(new float[DIM], 3);
            bf.save(unsynced, false);
            assertArrayEquals(bf.toBytes(), Files.readAllBytes(unsynced));
            try (var files = Files.list(dir)) {
                assertEquals(2, files.count(), "no temporary file is left");
            }
            assertThrows(IOException.class, () -> index.save(dir.resolve("no/such/dir/x.bin"), false));
        }
    }

    @Test
    void saveAndLoad(@TempDir Path dir) throws Exception {
        float[][] queries = TestData.random(20, DIM, 4);
        Path file = dir.resolve("index.bin");
        try (HnswIndex index = filled(300)) {
            index.markDeleted(7);
            index.setEf(60);
            BatchSearchResult before = index.knnBatch(queries, 5);
            index.save(file);
            assertEquals(index.indexFileSize(), Files.size(file));
            try (HnswIndex loaded = HnswIndex.load(file, Space.l2(DIM))) {
                assertEquals(300, loaded.size());
                assertTrue(loaded.isDeleted(7));
                assertEquals(10, loaded.getEf(), "ef is not saved, as in hnswlib");
                loaded.setEf(60);
                assertEquals(before, loaded.knnBatch(queries, 5));
                assertArrayEquals(index.toBytes(), loaded.toBytes());
            }
            try (HnswIndex bigger = HnswIndex.load(file, Space.l2(DIM), 1000, true)) {
                assertEquals(1000, bigger.maxElements());
                assertTrue(bigger.allowReplaceDeleted());
                // Automatic labels continue from the loaded count.
                bigger.add(new float[][] {queries[0]});
                assertTrue(bigger.contains(300));
            }
            try (HnswIndex copy = HnswIndex.fromBytes(index.toBytes(), Space.l2(DIM))) {
                copy.setEf(60);
                assertEquals(before, copy.knnBatch(queries, 5));
                assertArrayEquals(Files.readAllBytes(file), copy.toBytes());
            }
        }
    }

    @Test
    void progressIsReportedAndCanCancel() {
        float[][] data = TestData.random(2000, DIM, 1);
        AtomicLong last = new AtomicLong();
        try (HnswIndex index = new HnswIndex(Space.l2(DIM), 2000)) {
            index.add(data, TestData.range(0, 2000), AddOptions.defaults().withThreads(2).withProgress((done, total) -> {
                assertEquals(2000, total);
                last.accumulateAndGet(done, Math::max);
                return true;
            }));
            assertEquals(2000, last.get());
            assertEquals(2000, index.size());
        }
        try (HnswIndex index = new HnswIndex(Space.l2(DIM), 2000)) {
            CancellationException e = assertThrows(CancellationException.class, () -> index.add(data,
                    TestData.range(0, 2000),
                    AddOptions.defaults().withThreads(2).withProgress((done, total) -> done < 500)));
            assertTrue(e.getMessage().startsWith("Cancelled after"), e.getMessage());
            long kept = index.size();
            assertTrue(kept >= 500 && kept < 2000, "kept " + kept);
            // The index stays usable.
            assertEquals(1, index.knn(data[0], 1).size());
        }
    }

    @Test
    void customJavaDistance() {
        // Manhattan distance, written in Java.
        FloatDistance l1 = (a, b) -> {
            float s = 0;
            for (int i = 0; i < a.length; i++) {
                s += Math.abs(a[i] - b[i]);
            }
            return s;
        };
        float[][] data = TestData.random(300, DIM, 1);
        try (HnswIndex index = new HnswIndex(Space.custom(DIM, l1), 300);
                BruteForceIndex exact = new BruteForceIndex(Space.custom(DIM, l1), 300)) {
            index.add(data, TestData.range(0, 300), AddOptions.defaults().withThreads(2));
            exact.add(data, TestData.range(0, 300));
            index.setEf(100);
            float[] q = TestData.random(1, DIM, 99)[0];
            SearchResult r = index.knn(q, 5);
            assertEquals(exact.knn(q, 5), r);
            assertEquals(l1.distance(q, data[(int) r.labels()[0]]), r.distances()[0], 1e-5);
            assertEquals("custom", index.space().name());
        }
    }

    @Test
    void toStringNamesTheIndex() {
        HnswIndex index = new HnswIndex(Space.l2(3), 10);
        assertEquals("HnswIndex(Space(l2, dim=3), size=0)", index.toString());
        index.close();
        assertEquals("HnswIndex(Space(l2, dim=3), closed)", index.toString());
    }

    @Test
    void floatArraysAreCopied() {
        float[] v = {1, 2};
        try (HnswIndex index = new HnswIndex(Space.l2(2), 2)) {
            index.add(v, 1);
            Arrays.fill(v, 9);
            assertArrayEquals(new float[] {1, 2}, index.getItem(1));
        }
    }
}
