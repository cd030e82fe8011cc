package io.github.hnswlibrs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * u8 vectors ({@link Space#l2u8(int)}, hnswlib's L2SpaceI): bytes read as unsigned,
 * exact integer squared distances, files that hnswlib 0.6.2's C++ writes and reads.
 */
class U8VectorsTest {
    static final int DIM = 10;

    static byte[][] randomBytes(int rows, int dim, long seed) {
        Random r = new Random(seed);
        byte[][] out = new byte[rows][dim];
        for (byte[] row : out) {
            r.nextBytes(row);
        }
        return out;
    }

    /** The squared L2 distance of two u8 vectors, bytes read as unsigned, in integers. */
    static long squaredL2(byte[] a, byte[] b) {
        long sum = 0;
        for (int i = 0; i < a.length; i++) {
            long d = Byte.toUnsignedInt(a[i]) - Byte.toUnsignedInt(b[i]);
            sum += d * d;
        }
        return sum;
    }

    /** The exact k nearest distances of {@code q} among {@code data}, ascending. */
    static float[] exactDistances(byte[][] data, byte[] q, int k) {
        long[] d = Arrays.stream(data).mapToLong(v -> squaredL2(v, q)).sorted().limit(k).toArray();
        float[] out = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            out[i] = d[i];
        }
        return out;
    }

    /**
     * The result is the exact answer: the k smallest distances, each the true distance of
     * its label (labels {@code first..} in the order of {@code data}). Ties may come in any
     * order, so labels are checked through their distances.
     */
    static void assertExact(byte[][] data, long first, byte[] q, SearchResult got, int k) {
        assertArrayEquals(exactDistances(data, q, k), got.distances());
        for (int i = 0; i < got.size(); i++) {
            assertEquals(squaredL2(data[(int) (got.labels()[i] - first)], q), (long) got.distances()[i]);
        }
        assertEquals(k, Arrays.stream(got.labels()).distinct().count());
    }

    static void assertWrongType(Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().startsWith("Wrong element type"), e.getMessage());
    }

    @Test
    void spaceByNameAndItsIndex() {
        Space s = Space.of("l2u8", DIM);
        assertEquals("l2u8", s.name());
        assertEquals(DIM, s.dim());
        assertEquals("Space(l2u8, dim=10)", s.toString());
        try (HnswIndex index = new HnswIndex("l2u8", DIM, 10)) {
            assertEquals("l2u8", index.space().name());
            assertEquals(DIM, index.dim());
        }
        // The core's limit: an exact integer distance in 32 bits.
        assertThrows(IllegalArgumentException.class, () -> new HnswIndex(Space.l2u8(65_537), 1).close());
    }

    @Test
    void bytesAreReadAsUnsigned() {
        try (HnswIndex index = new HnswIndex(Space.l2u8(2), 10);
                BruteForceIndex bf = new BruteForceIndex(Space.l2u8(2), 10)) {
            for (VectorIndex i : new VectorIndex[] {index, bf}) {
                i.add(new byte[] {(byte) 200, (byte) 255}, 1);
                i.add(new byte[] {0, 127}, 2);
                SearchResult r = i.knn(new byte[] {0, 0}, 2);
                // 200² + 255² and 0 + 127², not (-56)² + (-1)².
                assertArrayEquals(new long[] {2, 1}, r.labels());
                assertArrayEquals(new float[] {127 * 127, 200 * 200 + 255 * 255}, r.distances());
                assertArrayEquals(new byte[] {(byte) 200, (byte) 255}, i.getByteItem(1));
                assertEquals(200, Byte.toUnsignedInt(i.getByteItem(1)[0]));
            }
        }
    }

    @Test
    void hnswSearchIsExactAgainstBruteForceComputation() {
        byte[][] data = randomBytes(600, DIM, 1);
        byte[][] queries = randomBytes(30, DIM, 2);
        int k = 10;
        try (HnswIndex index = new HnswIndex(Space.l2u8(DIM), 600)) {
            index.add(data, TestData.range(100, data.length));
            assertEquals(600, index.size());
            SearchOptions all = SearchOptions.defaults().withEf(600);
            for (byte[] q : queries) {
                assertExact(data, 100, q, index.knn(q, k, all), k);
            }
            BatchSearchResult batch = index.knnBatch(queries, k, all);
            assertEquals(queries.length, batch.rows());
            for (int r = 0; r < queries.length; r++) {
                assertEquals(index.knn(queries[r], k, all), batch.row(r));
            }
            assertEquals(batch, index.knnBatch(queries, k, all.withThreads(1)));
        }
    }

    @Test
    void itemsAreTheBytesAdded() {
        byte[][] data = randomBytes(50, DIM, 3);
        try (HnswIndex index = new HnswIndex(Space.l2u8(DIM), 100)) {
            for (int i = 0; i < data.length; i++) {
                index.add(data[i], i);
            }
            assertArrayEquals(data[7], index.getByteItem(7));
            byte[][] got = index.getByteItems(new long[] {3, 0, 49});
            assertArrayEquals(new byte[][] {data[3], data[0], data[49]}, got);
            assertThrows(LabelNotFoundException.class, () -> index.getByteItem(50));
            // An update replaces the vector.
            index.add(data[0], 7, false);
            assertArrayEquals(data[0], index.getByteItem(7));
        }
        try (HnswIndex index = new HnswIndex(Space.l2u8(DIM), 100)) {
            // hnswlib's automatic labels: 0, 1, ... across adds of rows.
            index.add(new byte[][] {data[1], data[2]});
            index.add(new byte[][] {data[3]}, null, AddOptions.defaults());
            assertArrayEquals(new long[] {0, 1, 2}, index.ids());
            assertArrayEquals(data[3], index.getByteItem(2));
        }
    }

    @Test
    void bruteForceIndexTakesBytes(@TempDir Path dir) throws IOException {
        byte[][] data = randomBytes(300, DIM, 4);
        byte[][] queries = randomBytes(10, DIM, 5);
        try (BruteForceIndex bf = new BruteForceIndex(Space.l2u8(DIM), 300)) {
            bf.add(data, TestData.range(0, data.length));
            for (byte[] q : queries) {
                assertExact(data, 0, q, bf.knn(q, 5), 5);
            }
            Path file = dir.resolve("u8.bfi");
            bf.save(file);
            try (BruteForceIndex loaded = BruteForceIndex.load(file, Space.l2u8(DIM), 0)) {
                assertEquals(bf.knnBatch(queries, 5), loaded.knnBatch(queries, 5));
                assertArrayEquals(data[9], loaded.getByteItems(new long[] {9})[0]);
            }
            // Range search: every element within epsilon, exactly.
            float epsilon = exactDistances(data, queries[0], 8)[7];
            SearchResult inRange = bf.rangeSearch(new byte[][] {queries[0]}, epsilon, 100, SearchOptions.defaults())
                    .row(0);
            assertArrayEquals(bf.knn(queries[0], 8).distances(), inRange.distances());
        }
    }

    @Test
    void multiVectorSearchTakesBytes() {
        byte[][] data = randomBytes(40, DIM, 6);
        long[] docOfLabel = new long[40];
        Arrays.setAll(docOfLabel, l -> l / 4);
        try (HnswIndex index = new HnswIndex(Space.l2u8(DIM), 40)) {
            index.add(data, TestData.range(0, 40));
            DocSearchResult r = index.searchDocs(new byte[][] {data[13]}, 2, docOfLabel,
                    SearchOptions.defaults().withEf(40));
            assertEquals(3, r.docs(0)[0]);
            assertEquals(0f, r.row(0).distances()[0]);
        }
    }

    @Test
    void filesRoundTripInBothFormats(@TempDir Path dir) throws IOException {
        byte[][] data = randomBytes(200, DIM, 7);
        byte[][] queries = randomBytes(8, DIM, 8);
        try (HnswIndex index = new HnswIndex(Space.l2u8(DIM), 250)) {
            index.add(data, TestData.range(0, data.length));
            index.setEf(64);
            BatchSearchResult want = index.knnBatch(queries, 5);

            Path hnswlibFile = dir.resolve("u8.hnsw");
            index.save(hnswlibFile);
            try (HnswIndex loaded = HnswIndex.load(hnswlibFile, Space.l2u8(DIM));
                    HnswIndex fromBytes = HnswIndex.fromBytes(index.toBytes(), Space.l2u8(DIM))) {
                for (HnswIndex i : new HnswIndex[] {loaded, fromBytes}) {
                    i.setEf(64);
                    assertEquals(want, i.knnBatch(queries, 5));
                    assertArrayEquals(data[11], i.getByteItem(11));
                }
            }

            Path nativeFile = dir.resolve("u8.native");
            index.save(nativeFile, FileFormat.NATIVE);
            try (HnswIndex opened = HnswIndex.open(nativeFile); HnswIndex view = HnswIndex.openView(nativeFile)) {
                for (HnswIndex i : new HnswIndex[] {opened, view}) {
                    assertEquals("l2u8", i.space().name(), "the native file names its space");
                    assertEquals(DIM, i.dim());
                    assertEquals(64, i.getEf());
                    assertEquals(want, i.knnBatch(queries, 5));
                    assertArrayEquals(data[11], i.getByteItem(11));
                    assertWrongType(() -> i.knn(new float[DIM], 1));
                }
                assertTrue(view.isView());
            }
        }
    }

    @Test
    void hnswlib062FileLoadsAndJavaWritesItsBytes() throws IOException {
        // l2u8_d12: written by hnswlib 0.6.2's C++ with L2SpaceI (core/tests/fixtures,
        // l2u8_fixture.cpp).
        String name = "l2u8_d12";
        TestData.Expected e = TestData.expected(name);
        assertEquals("l2u8", e.space());
        byte[] hnswlibBytes = TestData.resource(name + ".hnsw");
        byte[][] data = rows(TestData.resource(name + ".data.u8"), e.dim());
        byte[][] queries = rows(TestData.resource(name + ".queries.u8"), e.dim());
        long[] labels = TestData.longs(name + ".labels.u64");
        try (HnswIndex loaded = HnswIndex.fromBytes(hnswlibBytes, Space.l2u8(e.dim()));
                HnswIndex built = new HnswIndex(Space.l2u8(e.dim()), 400, 8, 40, 100, false)) {
            assertEquals(e.count(), loaded.size());
            long[] sorted = labels.clone();
            Arrays.sort(sorted);
            assertArrayEquals(sorted, loaded.ids());
            assertArrayEquals(data[17], loaded.getByteItem(labels[17]));
            // The same data, parameters and seed, one add per row on this thread: exact
            // integer distances make the graph, and so the file, hnswlib's own.
            for (int i = 0; i < data.length; i++) {
                built.add(data[i], labels[i]);
            }
            assertArrayEquals(hnswlibBytes, built.toBytes(), "the Java-built u8 index differs from hnswlib's");
            assertArrayEquals(hnswlibBytes, loaded.toBytes(), "saving changed hnswlib's bytes");
            for (HnswIndex index : new HnswIndex[] {loaded, built}) {
                index.setEf(e.ef());
                for (int q = 0; q < queries.length; q++) {
                    assertEquals(e.results().get(q), index.knn(queries[q], e.k()), "query " + q);
                }
            }
        }
    }

    static byte[][] rows(byte[] flat, int dim) {
        byte[][] out = new byte[flat.length / dim][];
        Arrays.setAll(out, i -> Arrays.copyOfRange(flat, i * dim, (i + 1) * dim));
        return out;
    }

    @Test
    void wrongElementTypesAreRefused() {
        try (HnswIndex u8 = new HnswIndex(Space.l2u8(4), 10);
                HnswIndex f32 = new HnswIndex(Space.l2(4), 10);
                BruteForceIndex bfU8 = new BruteForceIndex(Space.l2u8(4), 10);
                BruteForceIndex bfF32 = new BruteForceIndex(Space.l2(4), 10)) {
            u8.add(new byte[] {1, 2, 3, 4}, 1);
            f32.add(new float[] {1, 2, 3, 4}, 1);
            bfU8.add(new byte[] {1, 2, 3, 4}, 1);
            bfF32.add(new float[] {1, 2, 3, 4}, 1);
            for (VectorIndex i : new VectorIndex[] {u8, bfU8}) {
                assertWrongType(() -> i.add(new float[] {1, 2, 3, 4}, 2));
                assertWrongType(() -> i.add(new float[][] {{1, 2, 3, 4}}, new long[] {2}));
                assertWrongType(() -> i.knn(new float[] {1, 2, 3, 4}, 1));
                assertWrongType(() -> i.knnBatch(new float[][] {{1, 2, 3, 4}}, 1));
                assertWrongType(() -> i.getItem(1));
                assertEquals(1, i.size(), "nothing was added");
            }
            for (VectorIndex i : new VectorIndex[] {f32, bfF32}) {
                assertWrongType(() -> i.add(new byte[] {1, 2, 3, 4}, 2));
                assertWrongType(() -> i.knn(new byte[] {1, 2, 3, 4}, 1));
                assertWrongType(() -> i.knnBatch(new byte[][] {{1, 2, 3, 4}}, 1));
                assertWrongType(() -> i.getByteItem(1));
                assertEquals(1, i.size(), "nothing was added");
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> u8.add(new byte[][] {{1, 2, 3, 4}, {1, 2, 3}}, new long[] {5, 6}));
            assertTrue(e.getMessage().contains("dimensionality"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> u8.knn(new byte[] {1, 2, 3}, 1));
            assertThrows(IllegalArgumentException.class, () -> u8.knn(new byte[] {1, 2, 3, 4}, 0));
            assertThrows(IllegalArgumentException.class,
                    () -> u8.add(new byte[][] {{1, 2, 3, 4}}, new long[] {5, 6}));
            assertThrows(IllegalArgumentException.class, () -> u8.knnBatch(new byte[][] {null}, 1));
            SearchOptions o = SearchOptions.defaults();
            for (Executable call : java.util.List.<Executable>of(
                    () -> u8.add((byte[]) null, 1),
                    () -> u8.add((byte[][]) null, new long[] {1}),
                    () -> u8.knn((byte[]) null, 1),
                    () -> u8.knnBatch((byte[][]) null, 1),
                    () -> u8.rangeSearch((byte[][]) null, 1f, 10, o),
                    () -> u8.searchDocs((byte[][]) null, 1, new long[0], o),
                    () -> u8.getByteItems(null))) {
                assertThrows(NullPointerException.class, call);
            }
        }
    }

    @Test
    void u8IndexesAreNotQuantized() {
        for (Quantization q : new Quantization[] {Quantization.SQ8, Quantization.SQ4}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> HnswIndex.builder(Space.l2u8(8), 10).quantization(q).build().close());
            assertTrue(e.getMessage().toLowerCase(java.util.Locale.ROOT).contains("quantiz"), e.getMessage());
        }
    }

    @Test
    void largeValuesGiveExactDistances() {
        // 256 dimensions at the largest difference: 256 * 255² = 16,646,400 < 2^24.
        int dim = 256;
        byte[] high = new byte[dim];
        Arrays.fill(high, (byte) 255);
        try (HnswIndex index = new HnswIndex(Space.l2u8(dim), 4)) {
            index.add(high, 1);
            index.add(new byte[dim], 2);
            SearchResult r = index.knn(new byte[dim], 2);
            assertArrayEquals(new long[] {2, 1}, r.labels());
            assertArrayEquals(new float[] {0, 16_646_400}, r.distances());
        }
    }
}
