package io.github.hnswlibrs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Java example of README.md, as it stands there (in a temporary directory). */
class ReadmeExampleTest {
    @Test
    void readmeExampleRunsAndPrintsWhatItSays(@TempDir Path dir) throws Exception {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(captured, true, StandardCharsets.UTF_8);
        Path file = dir.resolve("index.bin");
        // ---- README.md, with System.out -> out and Path.of("index.bin") -> file ----
        try (HnswIndex index = new HnswIndex(Space.cosine(4), 1000)) {      // M=16, efConstruction=200
            index.add(new float[][] {{1, 0, 0, 0}, {0, 1, 0, 0}, {0.7f, 0.7f, 0, 0}}, new long[] {10, 11, 12});
            index.setEf(50);
            SearchResult r = index.knn(new float[] {0.9f, 0.1f, 0, 0}, 2);   // closest first
            out.println(java.util.Arrays.toString(r.labels()));              // [10, 12]
            index.save(file);                                                 // hnswlib's file format
            try (HnswIndex loaded = HnswIndex.load(file, Space.cosine(4))) {
                BatchSearchResult b = loaded.knnBatch(new float[][] {{0, 1, 0, 0}}, 1,
                        SearchOptions.defaults().withEf(100).withFilter(label -> label != 12));
                out.println(b.row(0).labels()[0]);                            // 11
            }
        }
        // ---- end of the example ----
        assertEquals("[10, 12]\n11\n", captured.toString(StandardCharsets.UTF_8));
        assertEquals(true, Files.size(file) > 0);
    }

    @Test
    void readmeQuantizationExampleRunsAndPrintsWhatItSays(@TempDir Path dir) throws Exception {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(captured, true, StandardCharsets.UTF_8);
        Path file = dir.resolve("sq8.bin");
        float[][] vectors = TestData.random(2000, 50, 7);
        // ---- README.md, with System.out -> out and Path.of("sq8.bin") -> file ----
        try (HnswIndex index = HnswIndex.builder(Space.cosine(50), vectors.length)   // M=16, efConstruction=200
                .quantization(Quantization.SQ8)                        // 8-bit codes, exact re-ranking
                .build()) {
            index.add(vectors);                                        // float[][], 2000 rows of 50
            SearchResult r = index.knn(vectors[7], 10, SearchOptions.defaults().withEf(64).withRerank(3));
            out.println(r.labels()[0] + " " + index.isTrained());      // 7 true (codes learnt at 1000)
            index.save(file);                                          // hnswlib's format (the vectors)
        }
        try (HnswIndex loaded = HnswIndex.load(file, Space.cosine(50),
                LoadOptions.defaults().withQuantization(Quantization.SQ4))) {   // any hnswlib file, any mode
            out.println(loaded.quantization() + " " + loaded.getRerank());   // SQ4 4.0
        }
        // ---- end of the example ----
        assertEquals("7 true\nSQ4 4.0\n", captured.toString(StandardCharsets.UTF_8));
    }

    @Test
    void readmeNativeFormatExampleRunsAndPrintsWhatItSays(@TempDir Path dir) throws Exception {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(captured, true, StandardCharsets.UTF_8);
        Path file = dir.resolve("index.hnsw");
        // ---- README.md, with System.out -> out and Path.of("index.hnsw") -> file ----
        try (HnswIndex index = new HnswIndex(Space.cosine(4), 1000)) {
            index.add(new float[][] {{1, 0, 0, 0}, {0, 1, 0, 0}, {0.7f, 0.7f, 0, 0}}, new long[] {10, 11, 12});
            index.save(file, FileFormat.NATIVE);                       // FileFormat.HNSWLIB is the default
        }
        try (HnswIndex same = HnswIndex.open(file);                     // no space or dim: the file names them
                HnswIndex view = HnswIndex.openView(file)) {            // mapped, read-only
            out.println(same.space() + " " + view.isView());           // Space(cosine, dim=4) true
            out.println(view.knn(new float[] {0.9f, 0.1f, 0, 0}, 2).labels()[1]);   // 12
        }
        // ---- end of the example ----
        assertEquals("Space(cosine, dim=4) true\n12\n", captured.toString(StandardCharsets.UTF_8));
    }

    @Test
    void readmeU8ExampleRunsAndPrintsWhatItSays() {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(captured, true, StandardCharsets.UTF_8);
        // ---- README.md, with System.out -> out ----
        try (HnswIndex index = new HnswIndex(Space.l2u8(3), 100)) {
            index.add(new byte[][] {{0, 0, 0}, {(byte) 200, 0, 0}, {10, 10, 10}}, new long[] {1, 2, 3});
            SearchResult r = index.knn(new byte[] {(byte) 255, 0, 0}, 2);
            out.println(java.util.Arrays.toString(r.labels()) + " " + r.distances()[0]);   // [2, 3] 3025.0
            out.println(Byte.toUnsignedInt(index.getByteItem(2)[0]));                      // 200
        }
        // ---- end of the example ----
        assertEquals("[2, 3] 3025.0\n200\n", captured.toString(StandardCharsets.UTF_8));
    }
}
