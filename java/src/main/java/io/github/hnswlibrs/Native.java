package io.github.hnswlibrs;

import java.nio.Buffer;
import java.util.function.LongPredicate;

/**
 * The native methods of the JNI library (crate {@code hnswlib-jni}). Every index is an id
 * into the library's table of open indexes, never a pointer: a call with the id of a
 * closed index throws {@link IllegalStateException}.
 */
final class Native {
    static final int LABEL_MARK_DELETED = 0;
    static final int LABEL_UNMARK_DELETED = 1;
    static final int LABEL_IS_DELETED = 2;
    static final int LABEL_CONTAINS = 3;
    static final int LABEL_REMOVE = 4;

    static final int INFO_SIZE = 0;
    static final int INFO_MAX_ELEMENTS = 1;
    static final int INFO_DELETED = 2;
    static final int INFO_M = 3;
    static final int INFO_EF_CONSTRUCTION = 4;
    static final int INFO_EF = 5;
    static final int INFO_ALLOW_REPLACE_DELETED = 6;
    static final int INFO_FILE_SIZE = 7;
    static final int INFO_QUANTIZATION = 8;
    static final int INFO_KEEPS_VECTORS = 9;
    static final int INFO_TRAINED = 10;
    /** The file's {@link Space} kind (l2, ip, cosine, l2u8), or -1 for a custom space. */
    static final int INFO_SPACE = 11;
    static final int INFO_DIM = 12;
    static final int INFO_IS_VIEW = 13;

    static {
        NativeLibrary.load();
    }

    private Native() {}

    /** {@code quantization} is the ordinal of a {@link Quantization}. */
    static native long newHnsw(Space space, long maxElements, int m, int efConstruction, long seed,
            boolean allowReplaceDeleted, int quantization, boolean keepVectors);

    static native long newBruteForce(Space space, long maxElements);

    /**
     * An HNSW or brute-force index from the file {@code path}, or from {@code bytes} if path is null;
     * {@code quantization} (an ordinal) and {@code keepVectors} are for HNSW only.
     */
    static native long load(boolean hnsw, String path, byte[] bytes, Space space, long maxElements,
            boolean allowReplaceDeleted, long seed, int quantization, boolean keepVectors);

    /**
     * An HNSW index from a native file, or from its {@code bytes} if path is null, which
     * name its space ({@link #INFO_SPACE}).
     */
    static native long open(String path, byte[] bytes, long maxElements, boolean allowReplaceDeleted,
            int quantization, boolean keepVectors);

    /** A read-only view of a native file; {@code space} null means the file's own. */
    static native long openView(String path, Space space, boolean verify, boolean populate);

    static native void free(long id);

    /** The input is {@code bytes} (u8 vectors) when not null, else {@code data} or the buffer range. */
    static native void add(long id, float[] data, byte[] bytes, Buffer buffer, int pos, int len, long[] labels, int threads,
            boolean replaceDeleted, ProgressListener progress);

    /** A {@code rerank} of NaN means the index's own (see {@code SearchOptions}). */
    static native int search(long id, float[] query, byte[] bytes, Buffer buffer, int pos, int len, int k, int ef,
            float rerank, LongPredicate filter, LabelFilter labelFilter, long[] outLabels, float[] outDistances);

    static native void searchBatch(long id, float[] queries, byte[] bytes, Buffer buffer, int pos, int len, int k, int ef,
            float rerank, LongPredicate filter, LabelFilter labelFilter, int threads, long[] outLabels,
            float[] outDistances,
            int[] outCounts);

    static native boolean labelOp(long id, int op, long label);

    static native long info(long id, int what);

    static native void setEf(long id, int ef);

    static native void setRerank(long id, float rerank);

    static native float getRerank(long id);

    /** The ordinal of the {@link Quantization} named {@code name} ("none", "sq8", "sq4"). */
    static native int quantizationByName(String name);

    static native void resize(long id, long maxElements);

    static native float[] getItems(long id, long[] labels);

    /** The stored vectors of an l2u8 index, concatenated. */
    static native byte[] getByteItems(long id, long[] labels);

    static native long[] ids(long id);

    /** hnswlib's checkIntegrity: connections, min inbound, max inbound, without inbound. */
    static native long[] checkIntegrity(long id);

    /** {@code format} is the ordinal of a {@link FileFormat}. */
    static native void save(long id, String path, boolean sync, int format);

    static native byte[] toBytes(long id, int format);

    static native long symbolAddress(String library, String symbol);

    /** Throws IllegalArgumentException unless {@code name} is a valid custom space name. */
    static native void checkSpaceName(String name);

    /** The name of the index's custom space, or null. */
    static native String spaceName(long id);

    /** Range search; returns lims (rows + 1), labels, distance bits, packed. */
    static native long[] rangeSearch(long id, float[] queries, byte[] bytes, Buffer buffer, int pos, int len, float epsilon,
            long maxResults, int minCandidates, LongPredicate filter, LabelFilter labelFilter, int threads);

    /** Document search; returns lims (rows + 1), docs, labels, distance bits, packed. */
    static native long[] searchDocs(long id, float[] queries, byte[] bytes, Buffer buffer, int pos, int len, int k,
            long[] docOfLabel, int efCollection, LongPredicate filter, LabelFilter labelFilter, int threads);

    /**
     * Searches every row of {@code queries} once with the engine's own loop on this thread
     * and returns the nanoseconds taken: the baseline of the GloVe benchmark.
     */
    static native long searchLoop(long id, float[] queries, int k, int ef);
}
