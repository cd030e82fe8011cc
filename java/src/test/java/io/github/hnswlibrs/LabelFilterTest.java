package io.github.hnswlibrs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;
import java.util.function.LongPredicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * LabelFilter (allow-lists and masks evaluated natively) on both indexes against a filtered
 * Java scan, and checkIntegrity on built, loaded and damaged graphs.
 */
class LabelFilterTest {
    static final int DIM = 6;
    static final int N = 500;
    static final int K = 5;
    static final int HEADER = 96; // hnswlib's file header

    static long labelOf(int i) {
        return 3L * i;
    }

    /** The K closest labels that {@code ok} accepts, closest first. */
    static long[] scan(float[][] data, float[] q, LongPredicate ok) {
        List<Integer> rows = new ArrayList<>();
        for (int i = 0; i < N; i++) {
            if (ok.test(labelOf(i))) {
                rows.add(i);
            }
        }
        rows.sort(Comparator.comparingDouble(i -> BruteForceIndexTest.l2(q, data[i])));
        return rows.stream().limit(K).mapToLong(LabelFilterTest::labelOf).toArray();
    }

    static void expectMatches(VectorIndex index, float[][] data, float[][] queries, SearchOptions opts,
            LongPredicate rule) {
        for (float[] q : queries) {
            assertArrayEquals(scan(data, q, rule), index.knn(q, K, opts).labels());
        }
        BatchSearchResult batch = index.knnBatch(queries, K, opts);
        for (int r = 0; r < queries.length; r++) {
            assertArrayEquals(scan(data, queries[r], rule), batch.row(r).labels());
        }
        for (long l : index.rangeSearch(queries, 1e9f, N, opts).labels()) {
            assertTrue(rule.test(l), "range result " + l);
        }
    }

    @Test
    void allowListsAndMasksMatchAFilteredScan() {
        float[][] data = TestData.random(N, DIM, 11);
        float[][] queries = TestData.random(10, DIM, 12);
        long[] labels = new long[N];
        for (int i = 0; i < N; i++) {
            labels[i] = labelOf(i);
        }
        try (HnswIndex hnsw = new HnswIndex("l2", DIM, N); BruteForceIndex bf = new BruteForceIndex("l2", DIM, N)) {
            hnsw.add(data, labels);
            bf.add(data, labels);
            for (VectorIndex index : new VectorIndex[] {hnsw, bf}) {
                SearchOptions base = SearchOptions.defaults().withEf(N);
                // An allow-list with labels not in the index, and one far beyond.
                long[] evens = new long[3 * N / 2 + 1];
                for (int i = 0; i < 3 * N / 2; i++) {
                    evens[i] = 2L * i;
                }
                evens[evens.length - 1] = -2L; // 2^64 - 2 as an unsigned label
                LabelFilter allow = LabelFilter.allow(evens);
                expectMatches(index, data, queries, base.withLabelFilter(allow), l -> l % 2 == 0);
                // With a predicate too: both must accept.
                expectMatches(index, data, queries, base.withLabelFilter(allow).withFilter(l -> l % 4 == 0),
                        l -> l % 4 == 0);
                // Masks shorter than the largest label (3N - 3).
                boolean[] mask = new boolean[N];
                BitSet bits = new BitSet();
                for (int l = 0; l < N; l++) {
                    mask[l] = l % 4 == 1;
                    bits.set(l, l % 5 == 0);
                }
                expectMatches(index, data, queries, base.withLabelFilter(LabelFilter.mask(mask)),
                        l -> l < N && l % 4 == 1);
                expectMatches(index, data, queries, base.withLabelFilter(LabelFilter.mask(bits)),
                        l -> l < N && l % 5 == 0);
                // An empty allow-list finds nothing.
                SearchOptions none = base.withLabelFilter(LabelFilter.allow());
                assertEquals(0, index.knn(queries[0], K, none).size());
                assertEquals(0, index.rangeSearch(queries, 1e9f, N, none).labels().length);
            }
        }
        assertThrows(NullPointerException.class, () -> LabelFilter.allow((long[]) null));
        assertThrows(NullPointerException.class, () -> LabelFilter.mask((boolean[]) null));
    }

    @Test
    void checkIntegrityOfBuiltLoadedAndDamagedGraphs(@TempDir Path dir) throws Exception {
        float[][] data = TestData.random(200, 4, 13);
        try (HnswIndex index = HnswIndex.builder(Space.l2(4), 200).m(8).build()) {
            index.add(data, TestData.range(0, 200));
            IntegrityReport report = index.checkIntegrity();
            assertTrue(report.connections() > 200);
            assertTrue(report.minInbound() <= report.maxInbound());
            assertTrue(report.withoutInbound() >= 0 && report.withoutInbound() < 200);
            Path file = dir.resolve("ok.bin");
            index.save(file);
            try (HnswIndex loaded = HnswIndex.load(file, Space.l2(4))) {
                assertEquals(report, loaded.checkIntegrity());
            }
            // Element 0's second level-0 link repeats its first: the loader accepts it (the
            // link is in range), checkIntegrity names it.
            byte[] bytes = index.toBytes();
            ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            assertTrue((b.getInt(HEADER) & 0xffff) >= 2);
            b.putInt(HEADER + 8, b.getInt(HEADER + 4));
            Path bad = dir.resolve("bad.bin");
            Files.write(bad, bytes);
            try (HnswIndex damaged = HnswIndex.load(bad, Space.l2(4))) {
                IndexFormatException e = assertThrows(IndexFormatException.class, damaged::checkIntegrity);
                assertTrue(e.getMessage().contains("twice"), e.getMessage());
            }
        }
    }
}
