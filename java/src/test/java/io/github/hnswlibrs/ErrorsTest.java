package io.github.hnswlibrs;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad input gives a Java exception with the engine's message, never a crash. */
class ErrorsTest {
    static final Space L2 = Space.l2(4);

    static HnswIndex small() {
        HnswIndex index = new HnswIndex(L2, 10);
        index.add(new float[][] {{0, 0, 0, 0}, {1, 1, 1, 1}}, new long[] {1, 2});
        return index;
    }

    static <T extends Throwable> T assertMessage(Class<T> type, String start, org.junit.jupiter.api.function.Executable e) {
        T t = assertThrows(type, e);
        assertTrue(t.getMessage() != null && t.getMessage().startsWith(start),
                "message \"" + t.getMessage() + "\" should start with \"" + start + "\"");
        return t;
    }

    @Test
    void badParameters() {
        assertMessage(IllegalArgumentException.class, "Invalid parameter: M must be at least 2",
                () -> new HnswIndex(L2, 10, 1, 200, 100, false));
        assertMessage(IllegalArgumentException.class, "Invalid parameter: ef_construction (4) must be at least M (16)",
                () -> new HnswIndex(L2, 10, 16, 4, 100, false));
        assertMessage(IllegalArgumentException.class, "maxElements must not be negative",
                () -> new HnswIndex(L2, -1));
        assertMessage(IllegalArgumentException.class, "Space name must be one of l2, ip, or cosine",
                () -> new HnswIndex("hamming", 4, 10));
        assertMessage(IllegalArgumentException.class, "Invalid parameter: dim must be at least 1", () -> Space.l2(0));
        assertThrows(NullPointerException.class, () -> new HnswIndex((Space) null, 10));
        assertThrows(IllegalArgumentException.class, () -> Space.nativeFunction(4, 0, 0));
    }

    @Test
    void badVectors() {
        try (HnswIndex index = small()) {
            assertMessage(IllegalArgumentException.class,
                    "Wrong dimensionality of the vectors: the index has dim 4, got 3",
                    () -> index.add(new float[] {1, 2, 3}, 5));
            assertMessage(IllegalArgumentException.class,
                    "Wrong dimensionality of the vectors: the index has dim 4, got 5 (row 1)",
                    () -> index.add(new float[][] {{1, 2, 3, 4}, {1, 2, 3, 4, 5}}, new long[] {5, 6}));
            assertMessage(IllegalArgumentException.class, "row 0 is null",
                    () -> index.add(new float[][] {null}, new long[] {5}));
            assertMessage(IllegalArgumentException.class, "Vector 1 contains NaN or infinity",
                    () -> index.add(new float[][] {{1, 2, 3, 4}, {1, Float.NaN, 3, 4}}, new long[] {5, 6}));
            assertEquals(2, index.size(), "a rejected batch adds nothing");
            assertMessage(IllegalArgumentException.class, "The input label shape does not match",
                    () -> index.add(new float[][] {{1, 2, 3, 4}}, new long[] {5, 6}));
            assertMessage(IllegalArgumentException.class, "Empty input",
                    () -> index.add(new float[0][], new long[0]));
            assertMessage(IllegalArgumentException.class, "Wrong dimensionality",
                    () -> index.knn(new float[] {1, 2}, 1));
            assertMessage(IllegalArgumentException.class, "Vector 0 contains NaN or infinity",
                    () -> index.knn(new float[] {1, Float.POSITIVE_INFINITY, 3, 4}, 1));
            assertMessage(IllegalArgumentException.class, "Vector 1 contains NaN",
                    () -> index.knnBatch(new float[][] {{1, 1, 1, 1}, {Float.NaN, 1, 1, 1}}, 1));
            assertThrows(NullPointerException.class, () -> index.knn((float[]) null, 1));
        }
    }

    @Test
    void badK() {
        try (HnswIndex index = small(); BruteForceIndex bf = new BruteForceIndex(L2, 4)) {
            float[] q = {0, 0, 0, 0};
            assertMessage(IllegalArgumentException.class, "Invalid parameter: k must be at least 1", () -> index.knn(q, 0));
            assertMessage(IllegalArgumentException.class, "k must not be negative", () -> index.knn(q, -3));
            assertMessage(IllegalArgumentException.class, "Invalid parameter: k must be at least 1",
                    () -> index.knnBatch(new float[][] {q}, 0));
            assertMessage(IllegalArgumentException.class, "Invalid parameter: k must be at least 1", () -> bf.knn(q, 0));
        }
    }

    @Test
    void badBuffers() {
        try (HnswIndex index = small()) {
            FloatBuffer heap = FloatBuffer.wrap(new float[] {1, 2, 3, 4});
            assertMessage(IllegalArgumentException.class, "the FloatBuffer must be direct",
                    () -> index.add(heap, new long[] {9}));
            FloatBuffer swapped = ByteBuffer.allocateDirect(16)
                    .order(ByteOrder.nativeOrder() == ByteOrder.BIG_ENDIAN ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN)
                    .asFloatBuffer();
            assertMessage(IllegalArgumentException.class, "the FloatBuffer must be in native byte order",
                    () -> index.knn(swapped, 1, SearchOptions.defaults()));
            FloatBuffer odd = ByteBuffer.allocateDirect(20).order(ByteOrder.nativeOrder()).asFloatBuffer();
            assertMessage(IllegalArgumentException.class, "Wrong dimensionality",
                    () -> index.add(odd, new long[] {9}));
            // A buffer whose memory is not 4-byte aligned.
            FloatBuffer unaligned = ByteBuffer.allocateDirect(17).order(ByteOrder.nativeOrder()).position(1).slice()
                    .order(ByteOrder.nativeOrder()).asFloatBuffer();
            assertMessage(IllegalArgumentException.class, "the FloatBuffer's memory is not 4-byte aligned",
                    () -> index.knn(unaligned, 1, SearchOptions.defaults()));
        }
    }

    @Test
    void labelErrors() {
        try (HnswIndex index = small()) {
            assertMessage(LabelNotFoundException.class, "Label not found: 99", () -> index.markDeleted(99));
            assertMessage(LabelNotFoundException.class, "Label not found: 99", () -> index.unmarkDeleted(99));
            assertMessage(LabelNotFoundException.class, "Label not found: 99", () -> index.getItem(99));
            assertMessage(LabelNotFoundException.class, "Label not found: 99", () -> index.isDeleted(99));
            index.markDeleted(1);
            assertMessage(IllegalStateException.class, "The requested to delete element is already deleted",
                    () -> index.markDeleted(1));
            index.unmarkDeleted(1);
            assertMessage(IllegalStateException.class, "The requested to undelete element is not deleted",
                    () -> index.unmarkDeleted(1));
            assertMessage(IllegalStateException.class, "Replacement of deleted elements is disabled",
                    () -> index.add(new float[] {1, 2, 3, 4}, 5, true));
            assertMessage(IllegalStateException.class, "Cannot resize, max element is less than the current number",
                    () -> index.resize(1));
        }
        try (BruteForceIndex bf = new BruteForceIndex(L2, 4)) {
            assertMessage(LabelNotFoundException.class, "Label not found: 3", () -> bf.remove(3));
        }
    }

    @Test
    void capacity() {
        try (HnswIndex index = new HnswIndex(L2, 1); BruteForceIndex bf = new BruteForceIndex(L2, 1)) {
            index.add(new float[4], 1);
            bf.add(new float[4], 1);
            CapacityExceededException e = assertMessage(CapacityExceededException.class,
                    "The number of elements exceeds the specified limit (1)", () -> index.add(new float[4], 2));
            assertTrue(e instanceof IllegalStateException);
            assertMessage(CapacityExceededException.class, "The number of elements exceeds the specified limit",
                    () -> bf.add(new float[4], 2));
            assertMessage(CapacityExceededException.class, "The number of elements exceeds",
                    () -> index.add(new float[2][4], new long[] {7, 8}, AddOptions.defaults()));
        }
    }

    @Test
    void fileErrors(@TempDir Path dir) throws IOException {
        Path missing = dir.resolve("missing.bin");
        IOException e = assertThrows(IOException.class, () -> HnswIndex.load(missing, L2));
        assertFalse(e instanceof IndexFormatException);
        assertTrue(e.getMessage().startsWith("I/O error on " + missing), e.getMessage());
        assertThrows(IOException.class, () -> BruteForceIndex.load(missing, L2, 0));

        try (HnswIndex index = small()) {
            assertThrows(IOException.class, () -> index.save(dir.resolve("no/such/dir/index.bin")));
            Path file = dir.resolve("index.bin");
            index.save(file);
            byte[] bytes = Files.readAllBytes(file);
            Files.write(file, Arrays.copyOf(bytes, bytes.length - 7));
            assertMessage(IndexFormatException.class, "Index seems to be corrupted or unsupported",
                    () -> HnswIndex.load(file, L2));
            assertMessage(IndexFormatException.class, "The index does not match the space",
                    () -> HnswIndex.fromBytes(bytes, Space.l2(5)));
            assertThrows(IndexFormatException.class, () -> HnswIndex.fromBytes(new byte[3], L2));
            byte[] garbage = new byte[4096];
            Arrays.fill(garbage, (byte) 0x7f);
            assertThrows(IndexFormatException.class, () -> HnswIndex.fromBytes(garbage, L2));
            assertThrows(IndexFormatException.class, () -> BruteForceIndex.fromBytes(garbage, L2, 0));
        }
    }

    @Test
    void useAfterClose() {
        HnswIndex index = small();
        BruteForceIndex bf = new BruteForceIndex(L2, 4);
        index.close();
        bf.close();
        assertTrue(index.isClosed());
        assertDoesNotThrow(index::close, "close is idempotent");
        float[] q = {0, 0, 0, 0};
        for (org.junit.jupiter.api.function.Executable call : new org.junit.jupiter.api.function.Executable[] {
            () -> index.knn(q, 1), () -> index.add(q, 3), () -> index.size(), () -> index.markDeleted(1),
            () -> index.save(Path.of("x")), () -> index.toBytes(), () -> index.getEf(), () -> index.setEf(5),
            () -> index.ids(), () -> index.getItem(1), () -> index.resize(20), () -> index.knnBatch(new float[][] {q}, 1),
            () -> bf.knn(q, 1), () -> bf.add(q, 1), () -> bf.remove(1), () -> bf.size(),
        }) {
            assertMessage(IllegalStateException.class, "the index is closed", call);
        }
    }

    @Test
    void filterExceptionsAreRethrownUnchanged() {
        try (HnswIndex index = HnswIndexTest.filled(500); BruteForceIndex bf = new BruteForceIndex(Space.l2(8), 10)) {
            bf.add(new float[8], 1);
            float[] q = new float[8];
            IllegalStateException boom = new IllegalStateException("boom");
            SearchOptions throwing = SearchOptions.defaults().withFilter(l -> {
                throw boom;
            });
            assertSame(boom, assertThrows(IllegalStateException.class, () -> index.knn(q, 3, throwing)));
            assertSame(boom, assertThrows(IllegalStateException.class,
                    () -> index.knnBatch(TestData.random(50, 8, 1), 3, throwing.withThreads(2))));
            assertSame(boom, assertThrows(IllegalStateException.class, () -> bf.knn(q, 1, throwing)));
            // The index is fine afterwards.
            assertEquals(3, index.knn(q, 3).size());
        }
    }

    @Test
    void progressAndDistanceExceptionsAreRethrown() {
        float[][] data = TestData.random(500, 8, 1);
        try (HnswIndex index = new HnswIndex(Space.l2(8), 500)) {
            ArithmeticException oops = new ArithmeticException("oops");
            assertSame(oops, assertThrows(ArithmeticException.class, () -> index.add(data, null,
                    AddOptions.defaults().withThreads(2).withProgress((d, t) -> {
                        throw oops;
                    }))));
        }
        UnsupportedOperationException nope = new UnsupportedOperationException("nope");
        try (HnswIndex index = new HnswIndex(Space.custom(8, (a, b) -> {
            throw nope;
        }), 500)) {
            index.add(data[0], 0); // the first element needs no distance
            assertSame(nope, assertThrows(UnsupportedOperationException.class, () -> index.add(data[1], 1)));
            assertSame(nope, assertThrows(UnsupportedOperationException.class, () -> index.knn(data[0], 1)));
        }
    }

    @Test
    void callbacksCannotReenterTheirIndex() {
        try (HnswIndex index = HnswIndexTest.filled(100)) {
            AtomicReference<Throwable> seen = new AtomicReference<>();
            SearchOptions reentering = SearchOptions.defaults().withFilter(l -> {
                try {
                    index.save(Path.of("/nonexistent/never-written"));
                } catch (Throwable t) {
                    seen.compareAndSet(null, t);
                }
                return true;
            });
            assertEquals(1, index.knn(new float[8], 1, reentering).size());
            assertTrue(seen.get() instanceof IllegalStateException, String.valueOf(seen.get()));
            assertTrue(seen.get().getMessage().startsWith("an index cannot be used from inside its own filter"));
            // Another index may be used from the callback.
            try (HnswIndex other = HnswIndexTest.filled(10)) {
                SearchOptions usingOther = SearchOptions.defaults().withFilter(l -> other.knn(new float[8], 1).size() == 1);
                assertEquals(1, index.knn(new float[8], 1, usingOther).size());
            }
        }
    }

    @Test
    void closeFromInsideACallbackWaitsForTheCall() {
        HnswIndex index = HnswIndexTest.filled(100);
        SearchResult r = index.knn(new float[8], 5, SearchOptions.defaults().withFilter(l -> {
            index.close();
            return true;
        }));
        assertEquals(5, r.size());
        assertTrue(index.isClosed());
        assertThrows(IllegalStateException.class, () -> index.knn(new float[8], 1));
    }
}
