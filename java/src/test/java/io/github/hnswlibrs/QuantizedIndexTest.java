package io.github.hnswlibrs;

import static io.github.hnswlibrs.ErrorsTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Quantized indexes (8-bit and 4-bit codes with exact re-ranking): recall against brute
 * force, exact distances, re-ranking depth, training, codes-only storage, hnswlib files,
 * and bad input.
 */
class QuantizedIndexTest {
    static final int N = 4000;
    static final int DIM = 48;
    static final int K = 10;
    static final int EF = 40;
    static final float[][] DATA = TestData.clustered(N, DIM, 30, 1, 2);
    static final float[][] QUERIES = TestData.clustered(200, DIM, 30, 1, 3);
    static final String CODES_ONLY = "Not supported: a codes-only index (keep_vectors = false) cannot be saved in hnswlib's format";

    /** DATA added on one thread (so that equal parameters build equal graphs). */
    static HnswIndex build(Space space, Quantization quantization, boolean keepVectors) {
        HnswIndex index = HnswIndex.builder(space, N).m(12).efConstruction(100)
                .quantization(quantization).keepVectors(keepVectors).build();
        index.add(DATA, TestData.range(0, N), AddOptions.defaults().withThreads(1));
        return index;
    }

    static BruteForceIndex exact(Space space) {
        BruteForceIndex exact = new BruteForceIndex(space, N);
        exact.add(DATA, TestData.range(0, N));
        return exact;
    }

    /** Mean recall@K of {@code index} over QUERIES against {@code exact}. */
    static double recall(HnswIndex index, BruteForceIndex exact, SearchOptions options) {
        BatchSearchResult truth = exact.knnBatch(QUERIES, K);
        BatchSearchResult found = index.knnBatch(QUERIES, K, options);
        int hits = 0;
        for (int q = 0; q < QUERIES.length; q++) {
            hits += HnswIndexTest.overlap(truth.row(q).labels(), found.row(q).labels());
        }
        return hits / (double) (QUERIES.length * K);
    }

    @ParameterizedTest
    @ValueSource(strings = {"l2", "ip", "cosine"})
    void quantizedRecallMatchesTheUnquantizedIndexAtEqualEf(String name) {
        Space space = Space.of(name, DIM);
        try (BruteForceIndex exact = exact(space);
                HnswIndex plain = build(space, Quantization.NONE, true);
                HnswIndex sq8 = build(space, Quantization.SQ8, true);
                HnswIndex sq4 = build(space, Quantization.SQ4, true)) {
            assertEquals(Quantization.SQ8, sq8.quantization());
            assertEquals(Quantization.SQ4, sq4.quantization());
            assertTrue(sq8.isTrained() && sq4.isTrained());
            SearchOptions atEf = SearchOptions.defaults().withEf(EF);
            double rPlain = recall(plain, exact, atEf);
            double r8 = recall(sq8, exact, atEf);
            assertTrue(r8 >= rPlain - 0.01, name + " sq8 recall " + r8 + " vs unquantized " + rPlain);
            // 4-bit codes of normalised (cosine) vectors need a deeper re-ranking than their
            // default 4·k (recall 0.92 here): 16·k, so ef at least 160 (a search re-ranks at
            // most ef candidates). l2 and ip reach it with the default.
            SearchOptions deep = SearchOptions.defaults().withEf(16 * K);
            double rPlainDeep = recall(plain, exact, deep);
            double r4 = recall(sq4, exact, deep.withRerank(16));
            assertTrue(r4 >= rPlainDeep - 0.01, name + " sq4 recall " + r4 + " vs unquantized " + rPlainDeep);
            // Construction scores exactly while the vectors are kept: the same graph.
            assertArrayEquals(plain.toBytes(), sq8.toBytes(), name + " sq8");
            assertArrayEquals(plain.toBytes(), sq4.toBytes(), name + " sq4");
        }
    }

    @Test
    void distancesAreExactAfterReranking() {
        Space space = Space.l2(DIM);
        try (BruteForceIndex exact = exact(space);
                HnswIndex sq8 = build(space, Quantization.SQ8, true);
                HnswIndex sq4 = build(space, Quantization.SQ4, true);
                HnswIndex codesOnly = build(space, Quantization.SQ8, false)) {
            int approximate = 0;
            for (int q = 0; q < 20; q++) {
                // Every element's exact distance to the query, by label.
                SearchResult all = exact.knn(QUERIES[q], N);
                float[] truth = new float[N];
                for (int i = 0; i < all.size(); i++) {
                    truth[(int) all.labels()[i]] = all.distances()[i];
                }
                for (HnswIndex index : new HnswIndex[] {sq8, sq4}) {
                    SearchResult r = index.knn(QUERIES[q], 5);
                    for (int i = 0; i < r.size(); i++) {
                        assertEquals(truth[(int) r.labels()[i]], r.distances()[i], 0f,
                                index.quantization() + " query " + q + " hit " + i);
                    }
                }
                SearchResult r = codesOnly.knn(QUERIES[q], 5);
                for (int i = 0; i < r.size(); i++) {
                    approximate += truth[(int) r.labels()[i]] != r.distances()[i] ? 1 : 0;
                }
            }
            // Without the vectors the distances come from the codes: not exact.
            assertTrue(approximate > 50, approximate + " of 100 codes-only distances differ from the exact ones");
        }
    }

    @Test
    void rerankDepthPerIndexAndPerSearch() {
        Space space = Space.cosine(DIM);
        try (BruteForceIndex exact = exact(space);
                HnswIndex sq4 = build(space, Quantization.SQ4, true);
                HnswIndex sq8 = build(space, Quantization.SQ8, true);
                HnswIndex plain = build(space, Quantization.NONE, true)) {
            assertEquals(4f, sq4.getRerank());
            assertEquals(2f, sq8.getRerank());
            SearchOptions atEf = SearchOptions.defaults().withEf(100);
            double shallow = recall(sq4, exact, atEf.withRerank(1));
            double deep = recall(sq4, exact, atEf.withRerank(5));
            assertTrue(deep > shallow, "rerank 5 (" + deep + ") should beat rerank 1 (" + shallow + ")");
            // The index's own depth: the same searches as the per-call one.
            sq4.setRerank(1);
            assertEquals(1f, sq4.getRerank());
            BatchSearchResult perCall = sq4.knnBatch(QUERIES, K, atEf.withRerank(1));
            BatchSearchResult perIndex = sq4.knnBatch(QUERIES, K, atEf);
            for (int q = 0; q < QUERIES.length; q++) {
                assertArrayEquals(perCall.row(q).labels(), perIndex.row(q).labels(), "query " + q);
            }
            assertEquals(shallow, recall(sq4, exact, atEf), 0.0);
            // A per-call depth overrides the index's.
            assertEquals(deep, recall(sq4, exact, atEf.withRerank(5)), 0.0);
            // Without quantization the depth changes nothing.
            assertEquals(recall(plain, exact, atEf), recall(plain, exact, atEf.withRerank(0)), 0.0);
        }
    }

    @Test
    void gettersAndTraining() {
        float[][] data = TestData.clustered(1000, 16, 8, 5, 6);
        try (HnswIndex plain = new HnswIndex(Space.l2(16), 10);
                HnswIndex index = HnswIndex.builder(Space.l2(16), 1000).quantization(Quantization.SQ8).build();
                HnswIndex codesOnly = HnswIndex.builder(Space.ip(16), 10).quantization(Quantization.SQ4)
                        .keepVectors(false).build()) {
            assertEquals(Quantization.NONE, plain.quantization());
            assertTrue(plain.keepsVectors());
            assertFalse(plain.isTrained());
            assertEquals(Quantization.SQ4, codesOnly.quantization());
            assertFalse(codesOnly.keepsVectors());
            assertEquals(Quantization.SQ8, index.quantization());
            assertTrue(index.keepsVectors());
            // Exact vectors until 1000 elements, then codes learnt from all of them.
            float[][] first = java.util.Arrays.copyOf(data, 999);
            index.add(first, TestData.range(0, 999));
            assertFalse(index.isTrained());
            index.add(data[999], 999);
            assertTrue(index.isTrained());
            SearchResult hit = index.knn(data[999], 1);
            assertEquals(999, hit.labels()[0]);
            assertEquals(0f, hit.distances()[0]);
        }
    }

    @Test
    void codesOnlyIndexesSearchButCannotBeSaved(@TempDir Path dir) {
        Space space = Space.l2(DIM);
        try (BruteForceIndex exact = exact(space); HnswIndex index = build(space, Quantization.SQ8, false)) {
            assertFalse(index.keepsVectors());
            assertTrue(index.isTrained());
            double r = recall(index, exact, SearchOptions.defaults().withEf(64));
            assertTrue(r >= 0.85, "codes-only recall " + r);
            // The vectors come back as the codes stand for them: close, not equal.
            float[] v = index.getItem(17);
            float worst = 0;
            for (int j = 0; j < DIM; j++) {
                worst = Math.max(worst, Math.abs(v[j] - DATA[17][j]));
            }
            assertTrue(worst > 0 && worst < 0.02, "decoding error " + worst);
            // hnswlib's format stores the vectors, which this index no longer has.
            Path file = dir.resolve("codes.hnsw");
            assertMessage(IllegalStateException.class, CODES_ONLY, () -> index.save(file));
            assertMessage(IllegalStateException.class, CODES_ONLY, () -> index.save(file, false));
            assertFalse(Files.exists(file));
            assertMessage(IllegalStateException.class, CODES_ONLY, index::toBytes);
        }
    }

    @Test
    void hnswlibFilesLoadIntoQuantizedIndexesAndSaveBackUnchanged(@TempDir Path dir) throws IOException {
        Space space = Space.cosine(DIM);
        Path file = dir.resolve("plain.hnsw");
        try (HnswIndex plain = build(space, Quantization.NONE, true)) {
            plain.save(file);
        }
        byte[] bytes = Files.readAllBytes(file);
        try (BruteForceIndex exact = exact(space)) {
            for (Quantization mode : new Quantization[] {Quantization.SQ8, Quantization.SQ4}) {
                LoadOptions opts = LoadOptions.defaults().withQuantization(mode);
                Path back = dir.resolve(mode + ".hnsw");
                try (HnswIndex loaded = HnswIndex.load(file, space, opts);
                        HnswIndex fromBytes = HnswIndex.fromBytes(bytes, space, opts)) {
                    assertEquals(mode, loaded.quantization());
                    assertTrue(loaded.isTrained());
                    assertTrue(loaded.keepsVectors());
                    double r = recall(loaded, exact, SearchOptions.defaults().withEf(64));
                    assertTrue(r >= 0.9, mode + " loaded recall " + r);
                    loaded.save(back);
                    assertArrayEquals(bytes, Files.readAllBytes(back), mode + " saved back");
                    assertEquals(mode, fromBytes.quantization());
                    assertArrayEquals(bytes, fromBytes.toBytes(), mode + " toBytes");
                }
                // Codes only: the file's vectors are read, coded, then dropped.
                try (HnswIndex codesOnly = HnswIndex.load(file, space, opts.withKeepVectors(false))) {
                    assertEquals(mode, codesOnly.quantization());
                    assertFalse(codesOnly.keepsVectors());
                    assertMessage(IllegalStateException.class, CODES_ONLY, codesOnly::toBytes);
                }
            }
        }
        // Capacity and slot reuse come with the options too.
        try (HnswIndex loaded = HnswIndex.load(file, space, LoadOptions.defaults().withMaxElements(2 * N)
                .withAllowReplaceDeleted(true).withQuantization(Quantization.SQ8))) {
            assertEquals(2 * N, loaded.maxElements());
            assertTrue(loaded.allowReplaceDeleted());
        }
    }

    @Test
    void anIndexWrittenByHnswlibLoadsQuantizedAndSavesBackTheSame() throws IOException {
        // Written by hnswlib 0.8.0 (fewer elements than training needs: exact until it grows).
        TestData.Fixture f = TestData.fixture("cosine_d16");
        byte[] hnswlibBytes = TestData.resource("cosine_d16.hnsw");
        try (HnswIndex index = HnswIndex.fromBytes(hnswlibBytes, Space.cosine(f.dim()),
                LoadOptions.defaults().withQuantization(Quantization.SQ8))) {
            assertEquals(Quantization.SQ8, index.quantization());
            assertFalse(index.isTrained());
            index.setEf(f.ef());
            HnswlibFilesTest.assertSameResults(f, HnswlibFilesTest.search(index, f), 1e-5f);
            assertArrayEquals(hnswlibBytes, index.toBytes());
        }
    }

    @Test
    void quantizationNeedsABuiltInFloatSpace() throws IOException {
        Space custom = Space.custom(4, (a, b) -> Math.abs(a[0] - b[0]));
        String message = "Invalid parameter: quantization sq8 needs an f32 space (l2, ip or cosine)";
        assertMessage(IllegalArgumentException.class, message,
                () -> HnswIndex.builder(custom, 10).quantization(Quantization.SQ8).build());
        byte[] bytes;
        try (HnswIndex plain = new HnswIndex(custom, 10)) {
            plain.add(new float[] {1, 2, 3, 4}, 1);
            bytes = plain.toBytes();
        }
        assertMessage(IllegalArgumentException.class, message, () -> HnswIndex.fromBytes(bytes, custom,
                LoadOptions.defaults().withQuantization(Quantization.SQ8)));
    }

    @Test
    void modesByName() {
        assertEquals(Quantization.SQ8, Quantization.of("sq8"));
        assertEquals(Quantization.SQ4, Quantization.of("sq4"));
        assertEquals(Quantization.NONE, Quantization.of("none"));
        assertEquals(Quantization.NONE, Quantization.of(""));
        assertMessage(IllegalArgumentException.class, "Invalid parameter: unknown quantization \"sq16\": use \"none\", \"sq8\" or \"sq4\"",
                () -> Quantization.of("sq16"));
        assertThrows(NullPointerException.class, () -> Quantization.of(null));
    }

    @Test
    void badValues(@TempDir Path dir) {
        String finite = "Invalid parameter: rerank must be a finite number";
        assertMessage(IllegalArgumentException.class, finite, () -> SearchOptions.defaults().withRerank(Float.NaN));
        assertMessage(IllegalArgumentException.class, finite,
                () -> SearchOptions.defaults().withRerank(Float.POSITIVE_INFINITY));
        try (HnswIndex index = HnswIndex.builder(Space.l2(4), 10).quantization(Quantization.SQ8).build()) {
            assertMessage(IllegalArgumentException.class, finite, () -> index.setRerank(Float.NaN));
            assertMessage(IllegalArgumentException.class, finite, () -> index.setRerank(Float.NEGATIVE_INFINITY));
            assertEquals(2f, index.getRerank(), "a refused depth changes nothing");
        }
        assertMessage(IllegalArgumentException.class, "Invalid parameter: M must be at least 2",
                () -> HnswIndex.builder(Space.l2(4), 10).m(1).quantization(Quantization.SQ4).build());
        assertMessage(IllegalArgumentException.class, "maxElements must not be negative",
                () -> HnswIndex.builder(Space.l2(4), -1).build());
        NullPointerException npe = assertThrows(NullPointerException.class, () -> HnswIndex.builder(null, 10));
        assertEquals("space", npe.getMessage());
        npe = assertThrows(NullPointerException.class, () -> HnswIndex.builder(Space.l2(4), 10).quantization(null));
        assertEquals("quantization", npe.getMessage());
        npe = assertThrows(NullPointerException.class, () -> LoadOptions.defaults().withQuantization(null));
        assertEquals("quantization", npe.getMessage());
        Path file = dir.resolve("x.hnsw");
        npe = assertThrows(NullPointerException.class, () -> HnswIndex.load(file, Space.l2(4), (LoadOptions) null));
        assertEquals("options", npe.getMessage());
        npe = assertThrows(NullPointerException.class,
                () -> HnswIndex.fromBytes(new byte[0], Space.l2(4), (LoadOptions) null));
        assertEquals("options", npe.getMessage());
        npe = assertThrows(NullPointerException.class, () -> HnswIndex.fromBytes(null, Space.l2(4),
                LoadOptions.defaults()));
        assertEquals("bytes", npe.getMessage());
        assertMessage(IllegalArgumentException.class, "maxElements must not be negative",
                () -> HnswIndex.fromBytes(new byte[0], Space.l2(4), LoadOptions.defaults().withMaxElements(-1)));
    }
}
