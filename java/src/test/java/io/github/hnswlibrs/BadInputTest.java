package io.github.hnswlibrs;

import static io.github.hnswlibrs.ErrorsTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Bad input at every entry point, on both index classes: the same cases as ErrorsTest
 * for the search entry points it does not cover (range and document search, batches),
 * nulls, k beyond the element count, and use after close. The README's "Reliability"
 * table lists what these tests assert.
 */
class BadInputTest {
    static final Space L2 = Space.l2(4);
    static final float[] Q = {0, 0, 0, 0};
    static final long[] DOCS = {0, 0, 1, 1, 2, 2, 3, 3, 4, 4};

    static VectorIndex make(String kind) {
        VectorIndex index = kind.equals("hnsw") ? new HnswIndex(L2, 20) : new BruteForceIndex(L2, 20);
        float[][] rows = new float[10][4];
        long[] labels = new long[10];
        for (int i = 0; i < 10; i++) {
            Arrays.fill(rows[i], i);
            labels[i] = i;
        }
        index.add(rows, labels);
        return index;
    }

    @ParameterizedTest
    @ValueSource(strings = {"hnsw", "bf"})
    void wrongDimension(String kind) {
        try (VectorIndex index = make(kind)) {
            float[][] narrow = {{1, 2, 3}};
            SearchOptions o = SearchOptions.defaults();
            for (Executable e : List.<Executable>of(
                    () -> index.add(new float[5], 11),
                    () -> index.knn(new float[3], 1),
                    () -> index.knnBatch(narrow, 1),
                    () -> index.rangeSearch(narrow, 1f, 10, o),
                    () -> index.searchDocs(narrow, 1, DOCS, o))) {
                assertMessage(IllegalArgumentException.class, "Wrong dimensionality of the vectors", e);
            }
            assertEquals(10, index.size());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"hnsw", "bf"})
    void nanAndInfinity(String kind) {
        try (VectorIndex index = make(kind)) {
            SearchOptions o = SearchOptions.defaults();
            for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
                float[] row = {0, bad, 0, 0};
                float[][] rows = {Q, row};
                for (Executable e : List.<Executable>of(
                        () -> index.add(row, 11),
                        () -> index.add(rows, new long[] {11, 12}),
                        () -> index.knn(row, 1),
                        () -> index.knnBatch(rows, 1),
                        () -> index.rangeSearch(rows, 1f, 10, o),
                        () -> index.searchDocs(rows, 1, DOCS, o))) {
                    assertMessage(IllegalArgumentException.class, "Vector", e);
                    IllegalArgumentException t = assertThrows(IllegalArgumentException.class, e);
                    assertEquals(true, t.getMessage().contains("contains NaN or infinity"), t.getMessage());
                }
            }
            assertEquals(10, index.size(), "a rejected batch adds nothing");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"hnsw", "bf"})
    void emptyInput(String kind) {
        try (VectorIndex index = make(kind)) {
            assertMessage(IllegalArgumentException.class, "Empty input", () -> index.add(new float[0][], new long[0]));
            assertMessage(IllegalArgumentException.class, "Empty input", () -> index.knnBatch(new float[0][], 3));
            assertMessage(IllegalArgumentException.class, "Empty input",
                    () -> index.rangeSearch(new float[0][], 1f, 10, SearchOptions.defaults()));
            assertMessage(IllegalArgumentException.class, "Empty input",
                    () -> index.searchDocs(new float[0][], 1, DOCS, SearchOptions.defaults()));
            assertEquals(0, index.getItems(new long[0]).length);
            assertMessage(IllegalArgumentException.class, "Wrong dimensionality", () -> index.knn(new float[0], 1));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"hnsw", "bf"})
    void kBelowOneOrAboveTheCount(String kind) {
        try (VectorIndex index = make(kind); VectorIndex empty = kind.equals("hnsw")
                ? new HnswIndex(L2, 5) : new BruteForceIndex(L2, 5)) {
            SearchOptions o = SearchOptions.defaults();
            float[][] qs = {Q};
            for (Executable e : List.<Executable>of(() -> index.knn(Q, 0), () -> index.knnBatch(qs, 0))) {
                assertMessage(IllegalArgumentException.class, "Invalid parameter: k must be at least 1", e);
            }
            assertMessage(IllegalArgumentException.class, "Invalid parameter: the number of documents k must be at least 1",
                    () -> index.searchDocs(qs, 0, DOCS, o));
            assertMessage(IllegalArgumentException.class, "k must not be negative", () -> index.knn(Q, -1));
            assertMessage(IllegalArgumentException.class, "k must not be negative", () -> index.knnBatch(qs, -1));
            assertMessage(IllegalArgumentException.class, "Invalid parameter: max_results",
                    () -> index.rangeSearch(qs, 1f, 0, o));
            // More than the index holds: every element, closest first (no exception).
            assertEquals(10, index.knn(Q, 50).size());
            assertEquals(10, index.knnBatch(qs, 50).row(0).size());
            assertEquals(5, index.searchDocs(qs, 50, DOCS, o).row(0).size());
            assertEquals(0, empty.knn(Q, 3).size());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"hnsw", "bf"})
    void nulls(String kind) {
        try (VectorIndex index = make(kind)) {
            SearchOptions o = SearchOptions.defaults();
            float[][] qs = {Q};
            for (Executable e : List.<Executable>of(
                    () -> index.add((float[]) null, 1),
                    () -> index.add((float[][]) null, new long[] {1}),
                    () -> index.knn((float[]) null, 1),
                    () -> index.knn(Q, 1, null),
                    () -> index.knnBatch((float[][]) null, 1),
                    () -> index.rangeSearch((float[][]) null, 1f, 10, o),
                    () -> index.rangeSearch(qs, 1f, 10, null),
                    () -> index.searchDocs(qs, 1, null, o),
                    () -> index.searchDocs((float[][]) null, 1, DOCS, o),
                    () -> index.getItems(null),
                    () -> index.save(null))) {
                assertThrows(NullPointerException.class, e);
            }
            assertMessage(IllegalArgumentException.class, "row 0 is null",
                    () -> index.knnBatch(new float[][] {null}, 1));
            assertThrows(NullPointerException.class, () -> index.add(qs, null));
            assertMessage(IllegalArgumentException.class, "The input label shape does not match",
                    () -> index.add(qs, new long[2]));
            assertThrows(NullPointerException.class, () -> HnswIndex.load(null, L2));
            assertThrows(NullPointerException.class, () -> BruteForceIndex.load(null, L2, 0));
            assertThrows(NullPointerException.class, () -> HnswIndex.fromBytes(null, L2));
            assertEquals(10, index.size());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"hnsw", "bf"})
    void unknownLabel(String kind) {
        try (VectorIndex index = make(kind)) {
            assertMessage(LabelNotFoundException.class, "Label not found: 99", () -> index.getItem(99));
            assertMessage(LabelNotFoundException.class, "Label not found: 99", () -> index.getItems(new long[] {1, 99}));
            assertEquals(false, index.contains(99));
            if (index instanceof HnswIndex h) {
                assertMessage(LabelNotFoundException.class, "Label not found: 99", () -> h.markDeleted(99));
                assertMessage(LabelNotFoundException.class, "Label not found: 99", () -> h.unmarkDeleted(99));
            } else {
                BruteForceIndex b = (BruteForceIndex) index;
                assertMessage(LabelNotFoundException.class, "Label not found: 99", () -> b.remove(99));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"hnsw", "bf"})
    void everyMethodAfterClose(String kind) {
        VectorIndex index = make(kind);
        index.close();
        SearchOptions o = SearchOptions.defaults();
        float[][] qs = {Q};
        for (Executable e : List.<Executable>of(
                () -> index.add(Q, 1), () -> index.add(qs, new long[] {1}), () -> index.knn(Q, 1),
                () -> index.knnBatch(qs, 1), () -> index.rangeSearch(qs, 1f, 10, o),
                () -> index.rangeSearch(Q, 1f, 10, o), () -> index.searchDocs(qs, 1, DOCS, o),
                () -> index.getItem(1), () -> index.getItems(new long[] {1}), () -> index.ids(),
                () -> index.contains(1), () -> index.size(), () -> index.maxElements(), () -> index.resize(30),
                () -> index.save(Path.of("never-written.bin")), () -> index.toBytes())) {
            assertMessage(IllegalStateException.class, "the index is closed", e);
        }
        if (index instanceof HnswIndex h) {
            for (Executable e : List.<Executable>of(() -> h.markDeleted(1), () -> h.unmarkDeleted(1),
                    () -> h.isDeleted(1), () -> h.deletedCount(), () -> h.setEf(5), () -> h.getEf(),
                    () -> h.setRerank(2f), () -> h.indexFileSize())) {
                assertMessage(IllegalStateException.class, "the index is closed", e);
            }
        } else {
            assertMessage(IllegalStateException.class, "the index is closed", () -> ((BruteForceIndex) index).remove(1));
        }
        assertEquals(false, Files.exists(Path.of("never-written.bin")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"hnsw", "bf"})
    void missingOrCorruptedFile(String kind, @TempDir Path dir) throws IOException {
        boolean hnsw = kind.equals("hnsw");
        try (VectorIndex index = make(kind)) {
            Path file = dir.resolve("index.bin");
            index.save(file);
            byte[] bytes = Files.readAllBytes(file);
            Path missing = dir.resolve("missing.bin");
            Path shortFile = Files.write(dir.resolve("short.bin"), Arrays.copyOf(bytes, bytes.length / 2));
            byte[] ff = new byte[bytes.length];
            Arrays.fill(ff, (byte) 0xff);
            Path garbage = Files.write(dir.resolve("garbage.bin"), ff);
            Path empty = Files.write(dir.resolve("empty.bin"), new byte[0]);
            IOException e = assertThrows(IOException.class,
                    () -> { if (hnsw) HnswIndex.load(missing, L2); else BruteForceIndex.load(missing, L2, 0); });
            assertEquals(false, e instanceof IndexFormatException);
            assertEquals(true, e.getMessage().startsWith("I/O error on " + missing), e.getMessage());
            assertThrows(IOException.class,
                    () -> { if (hnsw) HnswIndex.load(dir, L2); else BruteForceIndex.load(dir, L2, 0); });
            for (Path bad : List.of(shortFile, garbage, empty)) {
                IndexFormatException f = assertThrows(IndexFormatException.class,
                        () -> { if (hnsw) HnswIndex.load(bad, L2); else BruteForceIndex.load(bad, L2, 0); });
                assertEquals(true, f.getMessage().startsWith("Index seems to be corrupted or unsupported")
                        || f.getMessage().startsWith("The index does not match the space"), f.getMessage());
            }
            assertThrows(IOException.class, () -> index.save(dir.resolve("no/such/dir/index.bin")));
        }
    }
}
