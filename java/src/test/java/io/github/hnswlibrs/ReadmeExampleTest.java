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
}
