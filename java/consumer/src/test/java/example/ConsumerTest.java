package example;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.hnswlibrs.HnswIndex;
import io.github.hnswlibrs.NativeLibrary;
import io.github.hnswlibrs.SearchResult;
import io.github.hnswlibrs.Space;
import org.junit.jupiter.api.Test;

/** What a user does first: an index from the artifact, a search, the library from the jar. */
class ConsumerTest {
    @Test
    void searchesWithTheLibraryFromTheJar() {
        assertNull(System.getProperty(NativeLibrary.PATH_PROPERTY), "no library path is set");
        try (HnswIndex index = new HnswIndex(Space.cosine(4), 1000)) {
            index.add(new float[][] {{1, 0, 0, 0}, {0, 1, 0, 0}, {0.7f, 0.7f, 0, 0}}, new long[] {10, 11, 12});
            index.setEf(50);
            SearchResult r = index.knn(new float[] {0.9f, 0.1f, 0, 0}, 2);
            assertArrayEquals(new long[] {10, 12}, r.labels());
        }
        assertEquals(NativeLibrary.resourcePath(), NativeLibrary.loadedFrom());
        String jar = NativeLibrary.class.getProtectionDomain().getCodeSource().getLocation().getPath();
        assertTrue(jar.endsWith("/io/github/hnswlibrs/hnswlib-rs/0.1.0/hnswlib-rs-0.1.0.jar"),
                "the artifact's jar from a Maven repository: " + jar);
    }
}
