package io.github.hnswlibrs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A distance compiled to native code, given by its address (Space.nativeFunction). */
class NativeDistanceTest {
    static final int DIM = 8;
    static Path library;

    @BeforeAll
    static void compile(@TempDir Path dir) throws IOException, InterruptedException {
        String cc = System.getenv().getOrDefault("CC", "cc");
        library = dir.resolve("libdistances.so");
        Process p = new ProcessBuilder(cc, "-O2", "-shared", "-fPIC", "-o", library.toString(),
                Path.of("src/test/c/distances.c").toAbsolutePath().toString()).inheritIO().start();
        assertEquals(0, p.waitFor(), "compiling src/test/c/distances.c with " + cc);
    }

    @Test
    void nativeFunctionMatchesTheJavaDistance() {
        FloatDistance l1 = (a, b) -> {
            float s = 0;
            for (int i = 0; i < a.length; i++) {
                s += Math.abs(a[i] - b[i]);
            }
            return s;
        };
        float[][] data = TestData.random(500, DIM, 8);
        float[][] queries = TestData.random(20, DIM, 9);
        try (HnswIndex nat = new HnswIndex(Space.nativeFunction(DIM, library, "l1_distance", DIM), 500);
                BruteForceIndex exact = new BruteForceIndex(Space.custom(DIM, l1), 500)) {
            nat.add(data, TestData.range(0, 500), AddOptions.defaults().withThreads(2));
            exact.add(data, TestData.range(0, 500));
            assertEquals("native", nat.space().name());
            BatchSearchResult truth = exact.knnBatch(queries, 5);
            BatchSearchResult got = nat.knnBatch(queries, 5, SearchOptions.defaults().withEf(200));
            int hits = 0;
            for (int q = 0; q < queries.length; q++) {
                hits += HnswIndexTest.overlap(truth.row(q).labels(), got.row(q).labels());
                assertEquals(truth.row(q).distances()[0], got.row(q).distances()[0], 1e-4);
            }
            assertTrue(hits >= 95, "hits " + hits + " of 100");
        }
    }

    @Test
    void quantizationNeedsABuiltInSpace() {
        Space space = Space.nativeFunction(DIM, library, "l1_distance", DIM);
        ErrorsTest.assertMessage(IllegalArgumentException.class,
                "Invalid parameter: quantization sq4 needs an f32 space (l2, ip or cosine)",
                () -> HnswIndex.builder(space, 10).quantization(Quantization.SQ4).build());
    }

    @Test
    void missingLibraryOrSymbol(@TempDir Path dir) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Space.nativeFunction(DIM, dir.resolve("nothing.so"), "l1_distance", 0));
        assertTrue(e.getMessage().startsWith("cannot load "), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Space.nativeFunction(DIM, library, "no_such_function", 0));
        assertTrue(e.getMessage().startsWith("no symbol no_such_function"), e.getMessage());
    }
}
