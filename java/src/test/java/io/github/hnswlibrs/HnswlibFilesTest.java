package io.github.hnswlibrs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
import org.junit.jupiter.api.io.TempDir;

/**
 * Files written by hnswlib 0.8.0 itself (src/test/resources/fixtures, made by
 * make_fixtures.py) load here and answer as hnswlib did; files written here are what
 * hnswlib writes, byte for byte, so hnswlib loads them.
 */
class HnswlibFilesTest {
    static void assertSameResults(TestData.Fixture f, List<SearchResult> got, float tolerance) {
        for (int q = 0; q < f.expected().size(); q++) {
            SearchResult want = f.expected().get(q);
            assertArrayEquals(want.labels(), got.get(q).labels(), "query " + q);
            assertArrayEquals(want.distances(), got.get(q).distances(), tolerance, "query " + q);
        }
    }

    static List<SearchResult> search(VectorIndex index, TestData.Fixture f) {
        return Arrays.stream(f.queries()).map(q -> index.knn(q, f.k())).toList();
    }

    @Test
    void hnswlibL2IndexLoadsAndAnswersTheSame(@TempDir Path dir) throws IOException {
        TestData.Fixture f = TestData.fixture("l2_int_d8");
        Path file = dir.resolve("l2.hnsw");
        Files.write(file, TestData.resource("l2_int_d8.hnsw"));
        try (HnswIndex index = HnswIndex.load(file, Space.l2(f.dim()))) {
            assertEquals(f.count(), index.size());
            assertEquals(8, index.m());
            index.setEf(f.ef());
            assertSameResults(f, search(index, f), 0f);
            assertArrayEquals(f.labels(), index.ids());
        }
    }

    @Test
    void javaBuildWritesHnswlibsBytes() throws IOException {
        // Same data, parameters, seed and insertion order as make_fixtures.py: one row per
        // add, on the calling thread. Exact integer distances make the graph identical.
        TestData.Fixture f = TestData.fixture("l2_int_d8");
        byte[] hnswlibBytes = TestData.resource("l2_int_d8.hnsw");
        try (HnswIndex index = new HnswIndex(Space.l2(f.dim()), 300, 8, 40, 100, false)) {
            for (int i = 0; i < f.data().length; i++) {
                index.add(f.data()[i], f.labels()[i]);
            }
            assertArrayEquals(hnswlibBytes, index.toBytes(), "the Java-built index file differs from hnswlib's");
            index.setEf(f.ef());
            assertSameResults(f, search(index, f), 0f);
        }
    }

    @Test
    void hnswlibCosineIndexWithDeletionsRoundTrips(@TempDir Path dir) throws IOException {
        TestData.Fixture f = TestData.fixture("cosine_d16");
        byte[] hnswlibBytes = TestData.resource("cosine_d16.hnsw");
        try (HnswIndex index = HnswIndex.fromBytes(hnswlibBytes, Space.cosine(f.dim()))) {
            assertEquals(f.count(), index.size());
            assertEquals(500, index.maxElements());
            assertEquals(2, index.deletedCount());
            assertTrue(index.isDeleted(0) && index.isDeleted(20));
            index.setEf(f.ef());
            assertSameResults(f, search(index, f), 1e-5f);
            Path file = dir.resolve("resaved.hnsw");
            index.save(file);
            assertArrayEquals(hnswlibBytes, Files.readAllBytes(file), "save changed the bytes of hnswlib's file");
        }
    }

    @Test
    void hnswlibBruteForceIndexLoads() throws IOException {
        TestData.Fixture f = TestData.fixture("bf_ip_d6");
        byte[] hnswlibBytes = TestData.resource("bf_ip_d6.bfi");
        try (BruteForceIndex index = BruteForceIndex.fromBytes(hnswlibBytes, Space.ip(f.dim()), 0)) {
            assertEquals(f.count(), index.size());
            assertEquals(150, index.maxElements());
            assertSameResults(f, search(index, f), 1e-5f);
            // The used slots are saved as hnswlib saved them (hnswlib leaves the unused
            // ones uninitialised; here they are zero).
            int used = 24 + (int) f.count() * (f.dim() * 4 + 8);
            byte[] ours = index.toBytes();
            assertEquals(hnswlibBytes.length, ours.length);
            assertArrayEquals(Arrays.copyOf(hnswlibBytes, used), Arrays.copyOf(ours, used));
        }
    }

    /** Python with hnswlib, from -Dhnswlib.test.python, or null when there is none. */
    static String pythonWithHnswlib() {
        String python = System.getProperty("hnswlib.test.python", "");
        if (python.isEmpty() || !Files.isExecutable(Path.of(python))) {
            return null;
        }
        try {
            Process p = new ProcessBuilder(python, "-c", "import hnswlib").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0 ? python : null;
        } catch (IOException | InterruptedException e) {
            return null;
        }
    }

    @Test
    void hnswlibLoadsJavaWrittenFilesLive(@TempDir Path dir) throws Exception {
        String python = pythonWithHnswlib();
        assumeTrue(python != null, "no Python with hnswlib (set -Dhnswlib.test.python); the byte-for-byte "
                + "test above covers the same ground with committed fixtures");
        int dim = 12;
        float[][] data = TestData.random(800, dim, 77);
        float[][] queries = TestData.random(5, dim, 78);
        Path hnswFile = dir.resolve("java.hnsw");
        Path bfFile = dir.resolve("java.bfi");
        Path queryFile = dir.resolve("queries.f32");
        StringBuilder want = new StringBuilder();
        try (HnswIndex index = new HnswIndex(Space.cosine(dim), 1000);
                BruteForceIndex bf = new BruteForceIndex(Space.cosine(dim), 1000)) {
            index.add(data, TestData.range(1, 800));
            index.markDeleted(5);
            bf.add(data, TestData.range(1, 800));
            index.save(hnswFile);
            bf.save(bfFile);
            index.setEf(50);
            for (float[] q : queries) {
                want.append(Arrays.toString(index.knn(q, 4).labels())).append('\n');
            }
            for (float[] q : queries) {
                want.append(Arrays.toString(bf.knn(q, 4).labels())).append('\n');
            }
        }
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(queries.length * dim * 4)
                .order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (float[] q : queries) {
            for (float x : q) {
                b.putFloat(x);
            }
        }
        Files.write(queryFile, b.array());
        String script = String.join("\n",
                "import sys, hnswlib, numpy as np",
                "dim = " + dim,
                "q = np.fromfile(sys.argv[3], dtype='<f4').reshape(-1, dim)",
                "p = hnswlib.Index(space='cosine', dim=dim)",
                "p.load_index(sys.argv[1])",
                "p.set_ef(50)",
                "assert p.get_current_count() == 800",
                "for row in p.knn_query(q, k=4)[0]: print('[' + ', '.join(str(int(x)) for x in row) + ']')",
                "bf = hnswlib.BFIndex(space='cosine', dim=dim)",
                "bf.load_index(sys.argv[2])",
                // hnswlib 0.8.0's BFIndex does not normalise cosine queries: do it here.
                "qn = q / np.linalg.norm(q, axis=1, keepdims=True)",
                "for row in bf.knn_query(qn, k=4)[0]: print('[' + ', '.join(str(int(x)) for x in row) + ']')",
                "");
        Process p = new ProcessBuilder(python, "-c", script, hnswFile.toString(), bfFile.toString(),
                queryFile.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        assertEquals(want.toString(), out);
    }
}
