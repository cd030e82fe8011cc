package io.github.hnswlibrs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The native file format ({@link FileFormat#NATIVE}, {@link HnswIndex#open(Path)}) and
 * memory-mapped read-only views ({@link HnswIndex#openView(Path)}).
 */
class NativeFormatTest {
    static final int DIM = 12;
    static final int N = 1000;
    static final byte[] MAGIC = "HNSWLRS\u001a".getBytes(StandardCharsets.ISO_8859_1);
    static final float[][] DATA = TestData.random(N, DIM, 31);
    static final float[][] QUERIES = TestData.random(50, DIM, 32);

    /** An index of DATA under labels 2i, two of them deleted, ef 70. */
    static HnswIndex build(Space space) {
        HnswIndex index = HnswIndex.builder(space, N + 100).m(12).efConstruction(80).randomSeed(5).build();
        long[] labels = new long[N];
        for (int i = 0; i < N; i++) {
            labels[i] = 2L * i;
        }
        index.add(DATA, labels, AddOptions.defaults().withThreads(1));
        index.markDeleted(4);
        index.markDeleted(10);
        index.setEf(70);
        return index;
    }

    static Path saved(Path dir) throws IOException {
        Path file = dir.resolve("index.hnsw");
        try (HnswIndex index = build(Space.l2(DIM))) {
            index.save(file, FileFormat.NATIVE);
        }
        return file;
    }

    /** The L1 distance, a custom distance of the tests. */
    static float l1(float[] a, float[] b) {
        float s = 0;
        for (int i = 0; i < a.length; i++) {
            s += Math.abs(a[i] - b[i]);
        }
        return s;
    }

    static void assertSameResults(HnswIndex a, HnswIndex b) {
        BatchSearchResult ra = a.knnBatch(QUERIES, 10);
        BatchSearchResult rb = b.knnBatch(QUERIES, 10);
        for (int q = 0; q < QUERIES.length; q++) {
            assertArrayEquals(ra.row(q).labels(), rb.row(q).labels(), "query " + q);
            assertArrayEquals(ra.row(q).distances(), rb.row(q).distances(), "query " + q);
        }
    }

    static void assertSameDescription(HnswIndex a, HnswIndex b) {
        assertEquals(a.space().name(), b.space().name());
        assertEquals(a.dim(), b.dim());
        assertEquals(a.m(), b.m());
        assertEquals(a.efConstruction(), b.efConstruction());
        assertEquals(a.getEf(), b.getEf());
        assertEquals(a.maxElements(), b.maxElements());
        assertEquals(a.size(), b.size());
        assertEquals(a.deletedCount(), b.deletedCount());
        assertEquals(a.quantization(), b.quantization());
    }

    static void assertReadOnlyView(Executable call) {
        IllegalStateException e = assertThrows(IllegalStateException.class, call);
        assertTrue(e.getMessage().contains("read-only view"), e.getMessage());
    }

    // ---- saving and loading -----------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"l2", "ip", "cosine"})
    void nativeFileOpensWithoutSpaceOrDim(String spaceName, @TempDir Path dir) throws IOException {
        Path file = dir.resolve("index.hnsw");
        try (HnswIndex index = build(Space.of(spaceName, DIM))) {
            index.save(file, FileFormat.NATIVE);
            assertArrayEquals(MAGIC, Arrays.copyOf(Files.readAllBytes(file), 8));
            try (HnswIndex opened = HnswIndex.open(file)) {
                assertEquals(spaceName, opened.space().name());
                assertEquals(DIM, opened.dim());
                assertEquals(12, opened.m());
                assertEquals(80, opened.efConstruction());
                assertEquals(70, opened.getEf());
                assertEquals(N + 100, opened.maxElements());
                assertEquals(N, opened.size());
                assertEquals(2, opened.deletedCount());
                assertTrue(opened.isDeleted(4));
                assertFalse(opened.isView());
                assertSameDescription(index, opened);
                assertSameResults(index, opened);
                assertArrayEquals(index.ids(), opened.ids());
                assertArrayEquals(index.getItem(6), opened.getItem(6));
                assertArrayEquals(index.toBytes(FileFormat.NATIVE), opened.toBytes(FileFormat.NATIVE));
            }
        }
    }

    @Test
    void openedIndexIsWritable(@TempDir Path dir) throws IOException {
        Path file = saved(dir);
        LoadOptions opts = LoadOptions.defaults().withMaxElements(N + 500).withAllowReplaceDeleted(true);
        try (HnswIndex index = HnswIndex.open(file, opts)) {
            assertEquals(N + 500, index.maxElements());
            assertTrue(index.allowReplaceDeleted());
            index.add(new float[DIM], 100_001);
            assertEquals(100_001, index.knn(new float[DIM], 1).labels()[0]);
            index.markDeleted(0);
            index.resize(N + 800);
            assertEquals(N + 800, index.maxElements());
        }
    }

    @Test
    void hnswlibFormatStaysTheDefault(@TempDir Path dir) throws IOException {
        try (HnswIndex index = build(Space.cosine(DIM))) {
            index.save(dir.resolve("default.bin"));
            index.save(dir.resolve("explicit.bin"), FileFormat.HNSWLIB);
            index.save(dir.resolve("nosync.bin"), FileFormat.HNSWLIB, false);
            byte[] bytes = Files.readAllBytes(dir.resolve("default.bin"));
            assertArrayEquals(bytes, Files.readAllBytes(dir.resolve("explicit.bin")));
            assertArrayEquals(bytes, Files.readAllBytes(dir.resolve("nosync.bin")));
            assertArrayEquals(bytes, index.toBytes());
            assertArrayEquals(bytes, index.toBytes(FileFormat.HNSWLIB));
            assertEquals(index.indexFileSize(), bytes.length);
            assertNotEquals(Arrays.toString(MAGIC), Arrays.toString(Arrays.copyOf(bytes, 8)));
            byte[] nativeBytes = index.toBytes(FileFormat.NATIVE);
            index.save(dir.resolve("native.hnsw"), FileFormat.NATIVE, false);
            assertArrayEquals(nativeBytes, Files.readAllBytes(dir.resolve("native.hnsw")));
            assertThrows(NullPointerException.class, () -> index.save(dir.resolve("x"), (FileFormat) null));
        }
    }

    @Test
    void loadReadsEitherFormatAndChecksTheSpace(@TempDir Path dir) throws IOException {
        Path file = saved(dir);
        try (HnswIndex original = build(Space.l2(DIM)); HnswIndex loaded = HnswIndex.load(file, Space.l2(DIM))) {
            assertSameResults(original, loaded);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> HnswIndex.load(file, Space.ip(DIM)));
        assertTrue(e.getMessage().contains("not ip of dim 12"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> HnswIndex.load(file, Space.l2(DIM + 1)));
    }

    @Test
    void quantizedAndCodesOnlyIndexesRoundTrip(@TempDir Path dir) throws IOException {
        float[][] data = TestData.random(1500, 16, 9);
        for (boolean keep : new boolean[] {true, false}) {
            Path file = dir.resolve("q" + keep + ".hnsw");
            try (HnswIndex index = HnswIndex.builder(Space.l2(16), 1500).quantization(Quantization.SQ8)
                    .keepVectors(keep).build()) {
                index.add(data, TestData.range(0, 1500), AddOptions.defaults().withThreads(1));
                index.setEf(50);
                index.setRerank(3);
                index.save(file, FileFormat.NATIVE);
                for (HnswIndex other : List.of(HnswIndex.open(file), HnswIndex.openView(file))) {
                    try (other) {
                        assertEquals(Quantization.SQ8, other.quantization());
                        assertEquals(keep, other.keepsVectors());
                        assertEquals(3f, other.getRerank());
                        assertEquals(50, other.getEf());
                        for (int q = 0; q < 20; q++) {
                            assertArrayEquals(index.knn(data[q], 5).labels(), other.knn(data[q], 5).labels());
                        }
                    }
                }
            }
        }
    }

    @Test
    void customDistanceFilesNeedTheirSpace(@TempDir Path dir) throws IOException {
        FloatDistance l1 = NativeFormatTest::l1;
        Space space = Space.custom(4, l1);
        float[][] data = TestData.random(40, 4, 3);
        Path file = dir.resolve("custom.hnsw");
        try (HnswIndex index = new HnswIndex(space, 40)) {
            index.add(data, TestData.range(0, 40), AddOptions.defaults().withThreads(1));
            index.save(file, FileFormat.NATIVE);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HnswIndex.open(file));
            assertTrue(e.getMessage().contains("custom distance"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> HnswIndex.openView(file));
            try (HnswIndex loaded = HnswIndex.load(file, space);
                    HnswIndex view = HnswIndex.openView(file, space, ViewOptions.defaults())) {
                assertTrue(view.isView());
                for (float[] q : Arrays.copyOf(data, 5)) {
                    assertArrayEquals(index.knn(q, 3).labels(), loaded.knn(q, 3).labels());
                    assertArrayEquals(index.knn(q, 3).labels(), view.knn(q, 3).labels());
                }
            }
        }
    }

    @Test
    void namedCustomSpaceTravelsWithTheFile(@TempDir Path dir) throws IOException {
        FloatDistance l1 = NativeFormatTest::l1;
        Space named = Space.custom(4, l1).named("l1");
        assertEquals("l1", named.customName().orElseThrow());
        assertTrue(named.toString().contains("\"l1\""), named.toString());
        assertTrue(Space.custom(4, l1).customName().isEmpty());
        float[][] data = TestData.random(40, 4, 3);
        Path file = dir.resolve("named.hnsw");
        try (HnswIndex index = new HnswIndex(named, 40)) {
            assertEquals("l1", index.space().customName().orElseThrow());
            index.add(data, TestData.range(0, 40), AddOptions.defaults().withThreads(1));
            index.save(file, FileFormat.NATIVE);
            // The same name: loads and views.
            try (HnswIndex loaded = HnswIndex.load(file, Space.custom(4, l1).named("l1"));
                    HnswIndex view = HnswIndex.openView(file, named, ViewOptions.defaults());
                    HnswIndex fromBytes = HnswIndex.fromBytes(index.toBytes(FileFormat.NATIVE), named)) {
                for (float[] q : Arrays.copyOf(data, 5)) {
                    assertArrayEquals(index.knn(q, 3).labels(), loaded.knn(q, 3).labels());
                    assertArrayEquals(index.knn(q, 3).labels(), view.knn(q, 3).labels());
                    assertArrayEquals(index.knn(q, 3).labels(), fromBytes.knn(q, 3).labels());
                }
                assertEquals("l1", view.space().customName().orElseThrow());
            }
            // Another name: a clear error naming both, whether loaded, viewed or read from bytes.
            Space other = Space.custom(4, l1).named("manhattan");
            for (Executable call : List.<Executable>of(
                    () -> HnswIndex.load(file, other),
                    () -> HnswIndex.openView(file, other, ViewOptions.defaults()),
                    () -> HnswIndex.fromBytes(index.toBytes(FileFormat.NATIVE), other))) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
                assertTrue(e.getMessage().contains("\"l1\"") && e.getMessage().contains("\"manhattan\""),
                        e.getMessage());
            }
            // No space: the error names the distance the file needs.
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HnswIndex.open(file));
            assertTrue(e.getMessage().contains("named \"l1\""), e.getMessage());
        }
        // An unnamed space takes the file's name, and keeps it in what it saves.
        try (HnswIndex loaded = HnswIndex.load(file, Space.custom(4, l1));
                HnswIndex view = HnswIndex.openView(file, Space.custom(4, l1), ViewOptions.defaults())) {
            assertEquals("l1", loaded.space().customName().orElseThrow());
            assertEquals("l1", view.space().customName().orElseThrow());
            Path again = dir.resolve("again.hnsw");
            loaded.save(again, FileFormat.NATIVE);
            assertThrows(IllegalArgumentException.class,
                    () -> HnswIndex.load(again, Space.custom(4, l1).named("l2-ish")));
        }
        // A name is for custom spaces, 1 to 64 bytes of UTF-8 without NUL.
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Space.l2(4).named("l2"));
        assertTrue(e.getMessage().contains("only custom spaces"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Space.custom(4, l1).named(""));
        assertThrows(IllegalArgumentException.class, () -> Space.custom(4, l1).named("x".repeat(65)));
        assertThrows(IllegalArgumentException.class, () -> Space.custom(4, l1).named("a\0b"));
        assertThrows(NullPointerException.class, () -> Space.custom(4, l1).named(null));
        assertEquals("é".repeat(32), Space.custom(4, l1).named("é".repeat(32)).customName().orElseThrow());
    }

    // ---- views ------------------------------------------------------------------------

    @Test
    void viewSearchesLikeTheLoadedIndex(@TempDir Path dir) throws IOException {
        Path file = saved(dir);
        try (HnswIndex loaded = HnswIndex.open(file); HnswIndex view = HnswIndex.openView(file)) {
            assertTrue(view.isView());
            assertFalse(loaded.isView());
            assertEquals(Space.l2(DIM).toString(), view.space().toString());
            assertSameDescription(loaded, view);
            assertSameResults(loaded, view);
            assertArrayEquals(loaded.ids(), view.ids());
            assertArrayEquals(loaded.getItems(new long[] {2, 8}), view.getItems(new long[] {2, 8}));
            assertTrue(view.isDeleted(10));
            SearchOptions even = SearchOptions.defaults().withLabelFilter(LabelFilter.allow(TestData.range(0, 400)));
            assertArrayEquals(loaded.knn(QUERIES[0], 5, even).labels(), view.knn(QUERIES[0], 5, even).labels());
            view.setEf(120);
            assertEquals(120, view.getEf());
            assertTrue(view.checkIntegrity().connections() > 0);
        }
    }

    @Test
    void viewOptions(@TempDir Path dir) throws IOException {
        Path file = saved(dir);
        try (HnswIndex loaded = HnswIndex.open(file)) {
            for (ViewOptions opts : List.of(ViewOptions.defaults().withVerify(true),
                    ViewOptions.defaults().withPopulate(true),
                    ViewOptions.defaults().withVerify(true).withPopulate(true))) {
                try (HnswIndex view = HnswIndex.openView(file, opts)) {
                    assertSameResults(loaded, view);
                }
            }
        }
        assertThrows(NullPointerException.class, () -> HnswIndex.openView(file, (ViewOptions) null));
        assertThrows(NullPointerException.class, () -> HnswIndex.openView(null));
    }

    @Test
    void mutationsOnAViewThrow(@TempDir Path dir) throws IOException {
        Path file = saved(dir);
        try (HnswIndex view = HnswIndex.openView(file)) {
            assertReadOnlyView(() -> view.add(DATA[0], 1));
            assertReadOnlyView(() -> view.add(DATA[0], 0)); // an update
            assertReadOnlyView(() -> view.add(new float[][] {DATA[1], DATA[2]}, new long[] {3, 5}));
            assertReadOnlyView(() -> view.add(DATA[0], 7, true));
            assertReadOnlyView(() -> view.markDeleted(2));
            assertReadOnlyView(() -> view.unmarkDeleted(4));
            assertReadOnlyView(() -> view.resize(N + 1000));
            assertEquals(N, view.size());
            assertEquals(2, view.deletedCount());
            assertEquals(N + 100, view.maxElements());
            try (HnswIndex loaded = HnswIndex.open(file)) {
                assertSameResults(loaded, view);
            }
        }
    }

    @Test
    void viewSavesInBothFormats(@TempDir Path dir) throws IOException {
        Path file = saved(dir);
        try (HnswIndex view = HnswIndex.openView(file); HnswIndex loaded = HnswIndex.open(file)) {
            view.save(dir.resolve("again.hnsw"), FileFormat.NATIVE);
            assertArrayEquals(Files.readAllBytes(file), Files.readAllBytes(dir.resolve("again.hnsw")));
            view.save(dir.resolve("hnswlib.bin"));
            assertArrayEquals(loaded.toBytes(), Files.readAllBytes(dir.resolve("hnswlib.bin")));
            assertArrayEquals(loaded.toBytes(), view.toBytes());
            try (HnswIndex copy = HnswIndex.fromBytes(view.toBytes(), Space.l2(DIM))) {
                assertFalse(copy.isView());
                copy.setEf(70);
                assertSameResults(view, copy);
                copy.add(DATA[0], 99_999);
            }
        }
    }

    @Test
    void viewOutlivesItsFileBeingReplacedOrDeleted(@TempDir Path dir) throws IOException {
        Path file = saved(dir);
        try (HnswIndex original = build(Space.l2(DIM)); HnswIndex view = HnswIndex.openView(file)) {
            try (HnswIndex other = build(Space.ip(DIM))) {
                other.save(file, FileFormat.NATIVE); // renamed over the file
            }
            assertSameResults(original, view);
            Files.delete(file);
            assertSameResults(original, view);
        }
    }

    @Test
    void closedViewThrows(@TempDir Path dir) throws IOException {
        Path file = saved(dir);
        HnswIndex view = HnswIndex.openView(file);
        HnswIndex other = HnswIndex.openView(file);
        view.close();
        view.close();
        assertThrows(IllegalStateException.class, () -> view.knn(QUERIES[0], 1));
        assertThrows(IllegalStateException.class, view::isView);
        assertEquals(10, other.knn(QUERIES[0], 10).size()); // its own mapping
        other.close();
    }

    @Test
    void isViewIsFalseForBuiltIndexes() {
        try (HnswIndex index = new HnswIndex(Space.l2(3), 10)) {
            assertFalse(index.isView());
        }
    }

    @Test
    void viewSavedAsHnswlibLoadsInHnswlibLive(@TempDir Path dir) throws Exception {
        String python = HnswlibFilesTest.pythonWithHnswlib();
        assumeTrue(python != null, "no Python with hnswlib (set -Dhnswlib.test.python)");
        Path file = saved(dir);
        Path out = dir.resolve("hnswlib.bin");
        String want;
        try (HnswIndex view = HnswIndex.openView(file)) {
            view.save(out);
            want = Arrays.toString(view.knn(DATA[7], 5).labels());
        }
        StringBuilder row = new StringBuilder();
        for (float x : DATA[7]) {
            row.append(row.length() == 0 ? "" : ",").append(Float.toString(x));
        }
        String script = String.join("\n",
                "import sys, hnswlib, numpy as np",
                "p = hnswlib.Index(space='l2', dim=" + DIM + ")",
                "p.load_index(sys.argv[1])",
                "p.set_ef(70)",
                "assert p.get_current_count() == " + N,
                "labels = p.knn_query(np.array([" + row + "], dtype=np.float32), k=5)[0][0]",
                "print('[' + ', '.join(str(int(x)) for x in labels) + ']')");
        Process p = new ProcessBuilder(python, "-c", script, out.toString()).redirectErrorStream(true).start();
        String got = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), got);
        assertEquals(want, got);
    }

    // ---- bad files --------------------------------------------------------------------

    @Test
    void anHnswlibFileNeedsItsSpace(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("hnswlib.bin");
        try (HnswIndex index = build(Space.l2(DIM))) {
            index.save(file);
        }
        // open, openView and fromBytes fail alike: the file is in another format.
        IndexFormatException e = assertThrows(IndexFormatException.class, () -> HnswIndex.open(file));
        assertTrue(e.getMessage().contains("does not name its space"), e.getMessage());
        assertTrue(e.getMessage().contains("load it with its space and dim"), e.getMessage());
        IndexFormatException v = assertThrows(IndexFormatException.class, () -> HnswIndex.openView(file));
        assertTrue(v.getMessage().contains("not a file in the native format"), v.getMessage());
        assertTrue(v.getMessage().contains("load it with its space and dim"), v.getMessage());
        IndexFormatException b = assertThrows(IndexFormatException.class,
                () -> HnswIndex.fromBytes(Files.readAllBytes(file)));
        assertTrue(b.getMessage().contains("does not name its space"), b.getMessage());
    }

    @Test
    void nativeBytesReadWithoutSpace() throws IOException {
        try (HnswIndex index = build(Space.cosine(DIM))) {
            byte[] bytes = index.toBytes(FileFormat.NATIVE);
            try (HnswIndex read = HnswIndex.fromBytes(bytes)) {
                assertEquals("cosine", read.space().name());
                assertSameDescription(index, read);
                assertSameResults(index, read);
                assertArrayEquals(bytes, read.toBytes(FileFormat.NATIVE));
            }
            try (HnswIndex read = HnswIndex.fromBytes(bytes, LoadOptions.defaults().withMaxElements(N + 900))) {
                assertEquals(N + 900, read.maxElements());
                read.add(new float[DIM], 99_999);
            }
        }
        assertThrows(IndexFormatException.class, () -> HnswIndex.fromBytes(new byte[100]));
        assertThrows(NullPointerException.class, () -> HnswIndex.fromBytes((byte[]) null));
    }

    @Test
    void missingFile(@TempDir Path dir) {
        Path file = dir.resolve("missing.hnsw");
        IOException e = assertThrows(IOException.class, () -> HnswIndex.openView(file));
        assertFalse(e instanceof IndexFormatException, e.toString());
        assertTrue(e.getMessage().contains("missing.hnsw"), e.getMessage());
        e = assertThrows(IOException.class, () -> HnswIndex.open(file));
        assertFalse(e instanceof IndexFormatException, e.toString());
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 10, 8000})
    void garbage(int size, @TempDir Path dir) throws IOException {
        Path file = dir.resolve("garbage.hnsw");
        byte[] bytes = new byte[size];
        Arrays.fill(bytes, (byte) 'g');
        Files.write(file, bytes);
        assertThrows(IndexFormatException.class, () -> HnswIndex.openView(file));
        assertThrows(IndexFormatException.class, () -> HnswIndex.open(file));
    }

    @ParameterizedTest
    @ValueSource(ints = {8, 200, 300, 4096, 6000, -1})
    void truncatedFile(int keep, @TempDir Path dir) throws IOException {
        byte[] bytes = Files.readAllBytes(saved(dir));
        Path bad = dir.resolve("truncated.hnsw");
        Files.write(bad, Arrays.copyOf(bytes, keep >= 0 ? keep : bytes.length - 1));
        assertThrows(IndexFormatException.class, () -> HnswIndex.openView(bad));
        assertThrows(IndexFormatException.class, () -> HnswIndex.open(bad));
    }

    @Test
    void corruptedFile(@TempDir Path dir) throws IOException {
        byte[] bytes = Files.readAllBytes(saved(dir));
        Path bad = dir.resolve("corrupted.hnsw");
        byte[] table = bytes.clone();
        table[300] ^= (byte) 0xFF; // the section table: its checksum no longer matches
        Files.write(bad, table);
        for (Executable open : List.<Executable>of(() -> HnswIndex.openView(bad), () -> HnswIndex.open(bad))) {
            IndexFormatException e = assertThrows(IndexFormatException.class, open);
            assertTrue(e.getMessage().toLowerCase().contains("checksum"), e.getMessage());
        }
        byte[] level0 = bytes.clone();
        level0[4096 + 100] ^= (byte) 0xFF; // level 0: a load or a verified view finds it
        Files.write(bad, level0);
        assertThrows(IndexFormatException.class, () -> HnswIndex.open(bad));
        assertThrows(IndexFormatException.class,
                () -> HnswIndex.openView(bad, ViewOptions.defaults().withVerify(true)));
        try (HnswIndex view = HnswIndex.openView(bad)) {
            view.knn(QUERIES[0], 1); // a plain view opens; searches stay memory-safe
        }
    }
}
