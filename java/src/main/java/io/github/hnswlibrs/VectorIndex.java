package io.github.hnswlibrs;

import java.io.IOException;
import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;

/**
 * What {@link HnswIndex} and {@link BruteForceIndex} share: adding float vectors under
 * {@code long} labels, k-nearest-neighbour search, reading vectors back, saving.
 *
 * <h2>Threads</h2>
 * All methods may be called from several threads at once: adds and searches run
 * concurrently (as in the engine). {@link #close()} may be called at any time, from any
 * thread: calls already running finish normally, later calls throw
 * {@link IllegalStateException}; the native memory is released when the last running call
 * returns. An index that is never closed is released when it is garbage collected, but
 * closing it (try-with-resources) frees its memory at a known time.
 *
 * <h2>Labels</h2>
 * Labels are hnswlib's unsigned 64-bit labels carried in Java {@code long}s bit for bit:
 * labels of 2<sup>63</sup> and above read as negative numbers.
 *
 * <h2>Input</h2>
 * A {@code float[][]} is one vector per row (copied into one native buffer); a
 * {@code float[]} is one vector; a direct {@link FloatBuffer} in native byte order is read
 * in place without copying: its remaining floats, row after row.
 */
public abstract sealed class VectorIndex implements AutoCloseable permits HnswIndex, BruteForceIndex {
    private static final Cleaner CLEANER = Cleaner.create();
    /** Beyond this k the result arrays are sized by the element count instead. */
    private static final int LARGE_K = 4096;

    private final long id;
    private final Space space;
    private final Cleaner.Cleanable cleanable;
    private volatile boolean closed;

    VectorIndex(long id, Space space) {
        this.id = id;
        this.space = space;
        this.cleanable = CLEANER.register(this, new Free(id));
    }

    /** Closes the native index; holds no reference to the Java object. */
    private record Free(long id) implements Runnable {
        @Override
        public void run() {
            Native.free(id);
        }
    }

    /** The native id, or IllegalStateException once closed. */
    final long id() {
        if (closed) {
            throw new IllegalStateException("the index is closed");
        }
        return id;
    }

    /** Keeps this object (and so its native index) alive up to this point. */
    final void keepAlive() {
        Reference.reachabilityFence(this);
    }

    /**
     * The space of the vectors.
     *
     * @return the space
     */
    public final Space space() {
        return space;
    }

    /**
     * Floats per vector.
     *
     * @return the dimension
     */
    public final int dim() {
        return space.dim;
    }

    /**
     * Whether {@link #close()} was called.
     *
     * @return true once closed
     */
    public final boolean isClosed() {
        return closed;
    }

    /**
     * Releases the native index. Idempotent; calls running on other threads finish first
     * (see the class documentation).
     */
    @Override
    public final void close() {
        closed = true;
        cleanable.clean();
    }

    // ---- input conversion -----------------------------------------------------------

    final float[] flatten(float[][] rows) {
        Objects.requireNonNull(rows, "vectors");
        int dim = space.dim;
        if ((long) rows.length * dim > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(rows.length + " rows of dim " + dim
                    + " exceed a Java array; pass a direct FloatBuffer or add in parts");
        }
        float[] flat = new float[rows.length * dim];
        for (int r = 0; r < rows.length; r++) {
            float[] row = rows[r];
            if (row == null) {
                throw new IllegalArgumentException("row " + r + " is null");
            }
            if (row.length != dim) {
                throw new IllegalArgumentException("Wrong dimensionality of the vectors: the index has dim "
                        + dim + ", got " + row.length + " (row " + r + ")");
            }
            System.arraycopy(row, 0, flat, r * dim, dim);
        }
        return flat;
    }

    static FloatBuffer checkBuffer(FloatBuffer buffer) {
        Objects.requireNonNull(buffer, "buffer");
        if (!buffer.isDirect()) {
            throw new IllegalArgumentException(
                    "the FloatBuffer must be direct (ByteBuffer.allocateDirect(n).order(ByteOrder.nativeOrder())"
                            + ".asFloatBuffer()); copy a heap buffer into a float[] instead");
        }
        if (buffer.order() != ByteOrder.nativeOrder()) {
            throw new IllegalArgumentException("the FloatBuffer must be in native byte order ("
                    + ByteOrder.nativeOrder() + "), got " + buffer.order());
        }
        return buffer;
    }

    /** Adds rows from a flat array or a buffer range; BruteForceIndex ignores the options. */
    final void addRows(float[] flat, FloatBuffer buffer, long[] labels, AddOptions opts) {
        long h = id();
        try {
            if (buffer != null) {
                Native.add(h, null, buffer, buffer.position(), buffer.remaining(), labels, opts.threads,
                        opts.replaceDeleted, opts.progress);
            } else {
                Native.add(h, flat, null, 0, 0, labels, opts.threads, opts.replaceDeleted, opts.progress);
            }
        } finally {
            Reference.reachabilityFence(buffer);
            keepAlive();
        }
    }

    // ---- adding ---------------------------------------------------------------------

    /**
     * Adds one vector under {@code label}; an existing label gets the new vector.
     *
     * @param vector {@link #dim()} finite floats
     * @param label its label
     * @throws IllegalArgumentException for a wrong length or non-finite values
     * @throws CapacityExceededException when the label is new and the index is full
     * @throws IllegalStateException on a read-only view ({@link HnswIndex#openView(Path)})
     */
    public void add(float[] vector, long label) {
        addRows(Objects.requireNonNull(vector, "vector"), null, new long[] {label}, AddOptions.defaults());
    }

    /**
     * Adds one vector per row, {@code labels[i]} for row {@code i}. Every row is checked,
     * and the capacity, before anything is added.
     *
     * @param vectors rows of {@link #dim()} floats
     * @param labels one label per row
     * @throws IllegalArgumentException for bad rows or a label count that differs
     * @throws CapacityExceededException when the new labels do not fit
     */
    public void add(float[][] vectors, long[] labels) {
        addRows(flatten(vectors), null, Objects.requireNonNull(labels, "labels"), AddOptions.defaults());
    }

    /**
     * Adds the remaining floats of a direct buffer, {@link #dim()} per row, without copying.
     *
     * @param vectors a direct buffer in native byte order
     * @param labels one label per row
     * @throws IllegalArgumentException for a heap buffer, another byte order, a length that
     *     is not a multiple of dim, bad values or a label count that differs
     */
    public void add(FloatBuffer vectors, long[] labels) {
        addRows(null, checkBuffer(vectors), Objects.requireNonNull(labels, "labels"), AddOptions.defaults());
    }

    // ---- searching ------------------------------------------------------------------

    /** The index's own ef (for HNSW), used when a large k is clamped. */
    int defaultEf() {
        return 0;
    }

    private SearchResult search(float[] query, FloatBuffer buffer, int k, SearchOptions opts) {
        Objects.requireNonNull(opts, "options");
        long h = id();
        try {
            int ef = opts.ef;
            int cap = k;
            if (k > LARGE_K) {
                // Results cannot outnumber the elements: size the arrays by the count, and
                // keep the effective ef at max(ef, k) as for the k asked for.
                cap = (int) Math.max(1, Math.min(k, size()));
                ef = Math.max(ef < 0 ? defaultEf() : ef, k);
            }
            long[] labels = new long[Math.max(cap, 0)];
            float[] distances = new float[Math.max(cap, 0)];
            int n = buffer != null
                    ? Native.search(h, null, buffer, buffer.position(), buffer.remaining(), cap, ef, opts.rerank,
                            opts.filter, opts.labelFilter, labels, distances)
                    : Native.search(h, query, null, 0, 0, cap, ef, opts.rerank, opts.filter, opts.labelFilter,
                            labels, distances);
            if (n < labels.length) {
                labels = Arrays.copyOf(labels, n);
                distances = Arrays.copyOf(distances, n);
            }
            return new SearchResult(labels, distances);
        } finally {
            Reference.reachabilityFence(buffer);
            keepAlive();
        }
    }

    private BatchSearchResult searchBatch(float[] queries, FloatBuffer buffer, int k, SearchOptions opts) {
        Objects.requireNonNull(opts, "options");
        long h = id();
        try {
            int len = buffer != null ? buffer.remaining() : queries.length;
            int rows = len / space.dim;
            int ef = opts.ef;
            int kk = k;
            if (k > LARGE_K) {
                kk = (int) Math.max(1, Math.min(k, size()));
                ef = Math.max(ef < 0 ? defaultEf() : ef, k);
            }
            long cells = (long) rows * Math.max(kk, 0);
            if (cells > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException(rows + " queries x k=" + k
                        + " results exceed a Java array; search in smaller batches");
            }
            long[] labels = new long[(int) cells];
            float[] distances = new float[(int) cells];
            int[] counts = new int[rows];
            if (buffer != null) {
                Native.searchBatch(h, null, buffer, buffer.position(), len, kk, ef, opts.rerank, opts.filter,
                        opts.labelFilter, opts.threads, labels, distances, counts);
            } else {
                Native.searchBatch(h, queries, null, 0, 0, kk, ef, opts.rerank, opts.filter, opts.labelFilter,
                        opts.threads, labels, distances, counts);
            }
            return new BatchSearchResult(kk, labels, distances, counts);
        } finally {
            Reference.reachabilityFence(buffer);
            keepAlive();
        }
    }

    /**
     * The {@code k} nearest neighbours of {@code query}, closest first.
     *
     * @param query {@link #dim()} finite floats
     * @param k how many, at least 1
     * @return up to k neighbours (fewer when fewer elements are live)
     * @throws IllegalArgumentException for k &lt; 1 or a bad query
     */
    public SearchResult knn(float[] query, int k) {
        return knn(query, k, SearchOptions.defaults());
    }

    /**
     * The {@code k} nearest neighbours of {@code query} with per-call ef and filter.
     *
     * @param query {@link #dim()} finite floats
     * @param k how many, at least 1
     * @param options ef and filter
     * @return up to k neighbours (fewer when fewer elements are live and pass the filter)
     * @throws IllegalArgumentException for k &lt; 1 or a bad query
     */
    public SearchResult knn(float[] query, int k, SearchOptions options) {
        return search(Objects.requireNonNull(query, "query"), null, k, options);
    }

    /**
     * The {@code k} nearest neighbours of the query held by the remaining floats of a
     * direct buffer, read in place.
     *
     * @param query a direct buffer in native byte order with {@link #dim()} remaining floats
     * @param k how many, at least 1
     * @param options ef and filter
     * @return up to k neighbours
     */
    public SearchResult knn(FloatBuffer query, int k, SearchOptions options) {
        return search(null, checkBuffer(query), k, options);
    }

    /**
     * Searches every row of {@code queries} on all cores.
     *
     * @param queries rows of {@link #dim()} floats
     * @param k neighbours per query, at least 1
     * @return the results, row by row
     */
    public BatchSearchResult knnBatch(float[][] queries, int k) {
        return knnBatch(queries, k, SearchOptions.defaults());
    }

    /**
     * Searches every row of {@code queries} with per-call ef, filter and thread count.
     *
     * @param queries rows of {@link #dim()} floats
     * @param k neighbours per query, at least 1
     * @param options ef, filter and threads
     * @return the results, row by row
     */
    public BatchSearchResult knnBatch(float[][] queries, int k, SearchOptions options) {
        return searchBatch(flatten(queries), null, k, options);
    }

    /**
     * Searches the rows held by the remaining floats of a direct buffer, read in place.
     *
     * @param queries a direct buffer in native byte order, {@link #dim()} floats per row
     * @param k neighbours per query, at least 1
     * @param options ef, filter and threads
     * @return the results, row by row
     */
    public BatchSearchResult knnBatch(FloatBuffer queries, int k, SearchOptions options) {
        return searchBatch(null, checkBuffer(queries), k, options);
    }

    /**
     * Every element within distance {@code epsilon} of each query (squared for L2), closest
     * first, at most {@code maxResults} per query (hnswlib's EpsilonSearchStopCondition; FAISS's
     * range_search layout). On an HNSW index the options' ef is hnswlib's
     * {@code min_num_candidates} (default: the index's ef): the search explores at least that
     * many results, then goes on while candidates lie within epsilon; higher finds more of
     * what is in range. Exact on a brute-force index. A quantized index compares epsilon with
     * exact distances. The filter and thread count apply as for {@link #knnBatch}.
     *
     * @param queries rows of {@link #dim()} floats
     * @param epsilon the radius; not NaN, and not negative for L2 and cosine
     * @param maxResults the most results per query, at least 1
     * @param options min candidates (ef), filter and threads
     * @return the results of every query
     * @throws IllegalArgumentException for a bad epsilon, maxResults or query
     */
    public RangeSearchResult rangeSearch(float[][] queries, float epsilon, long maxResults, SearchOptions options) {
        float[] flat = flatten(queries);
        Objects.requireNonNull(options, "options");
        long h = id();
        try {
            long[] packed = Native.rangeSearch(h, flat, null, 0, 0, epsilon, maxResults, options.ef,
                    options.filter, options.labelFilter, options.threads);
            return RangeSearchResult.unpack(packed, queries.length);
        } finally {
            keepAlive();
        }
    }

    /**
     * {@link #rangeSearch(float[][], float, long, SearchOptions)} of one query.
     *
     * @param query {@link #dim()} floats
     * @param epsilon the radius
     * @param maxResults the most results, at least 1
     * @param options min candidates (ef) and filter
     * @return the elements within epsilon, closest first
     */
    public SearchResult rangeSearch(float[] query, float epsilon, long maxResults, SearchOptions options) {
        return rangeSearch(new float[][] {Objects.requireNonNull(query, "query")}, epsilon, maxResults, options)
                .row(0);
    }

    /**
     * Multi-vector search: the {@code k} best documents of each query, each scored by its
     * closest vector (hnswlib's MultiVectorSearchStopCondition). {@code docOfLabel[label]} is
     * each label's document (negative, or a label past the array's end: none, never
     * returned); the search never calls back into Java for it. On an HNSW index the options'
     * ef is hnswlib's {@code ef_collection} (default: the index's ef; at least k), the number
     * of documents collected; exact on a brute-force index.
     *
     * @param queries rows of {@link #dim()} floats
     * @param k documents per query, at least 1
     * @param docOfLabel the document of each label
     * @param options ef collection, filter and threads
     * @return the documents of every query
     * @throws IllegalArgumentException for k &lt; 1, a null table or a bad query
     */
    public DocSearchResult searchDocs(float[][] queries, int k, long[] docOfLabel, SearchOptions options) {
        float[] flat = flatten(queries);
        Objects.requireNonNull(docOfLabel, "docOfLabel");
        Objects.requireNonNull(options, "options");
        long h = id();
        try {
            long[] packed = Native.searchDocs(h, flat, null, 0, 0, k, docOfLabel, options.ef, options.filter,
                    options.labelFilter, options.threads);
            return DocSearchResult.unpack(packed, queries.length);
        } finally {
            keepAlive();
        }
    }

    // ---- reading --------------------------------------------------------------------

    /**
     * The stored vector of {@code label} (normalised for cosine; for a codes-only
     * {@link HnswIndex}, the vector its code stands for, close to the one added).
     *
     * @param label the label
     * @return a copy of its vector
     * @throws LabelNotFoundException if the label is not in the index (or is deleted)
     */
    public float[] getItem(long label) {
        try {
            return Native.getItems(id(), new long[] {label});
        } finally {
            keepAlive();
        }
    }

    /**
     * The stored vectors of {@code labels}, one row each (as {@link #getItem(long)}).
     *
     * @param labels the labels
     * @return copies of their vectors
     * @throws LabelNotFoundException if one is not in the index (or is deleted)
     */
    public float[][] getItems(long[] labels) {
        Objects.requireNonNull(labels, "labels");
        float[] flat;
        try {
            flat = Native.getItems(id(), labels);
        } finally {
            keepAlive();
        }
        int dim = space.dim;
        float[][] out = new float[labels.length][];
        for (int i = 0; i < labels.length; i++) {
            out[i] = Arrays.copyOfRange(flat, i * dim, (i + 1) * dim);
        }
        return out;
    }

    /**
     * Every label in the index (for HNSW deleted ones included, as hnswlib), ascending as
     * unsigned numbers.
     *
     * @return the labels
     */
    public long[] ids() {
        try {
            return Native.ids(id());
        } finally {
            keepAlive();
        }
    }

    /**
     * Whether an element has this label (for HNSW, deleted or not).
     *
     * @param label the label
     * @return true if present
     */
    public boolean contains(long label) {
        return labelOp(Native.LABEL_CONTAINS, label);
    }

    final boolean labelOp(int op, long label) {
        try {
            return Native.labelOp(id(), op, label);
        } finally {
            keepAlive();
        }
    }

    final long info(int what) {
        try {
            return Native.info(id(), what);
        } finally {
            keepAlive();
        }
    }

    /**
     * Number of elements (for HNSW, deleted ones included: hnswlib's
     * {@code get_current_count}).
     *
     * @return the count
     */
    public long size() {
        return info(Native.INFO_SIZE);
    }

    /**
     * The capacity.
     *
     * @return the most elements the index holds before it must be resized
     */
    public long maxElements() {
        return info(Native.INFO_MAX_ELEMENTS);
    }

    /**
     * Changes the capacity.
     *
     * @param maxElements the new capacity, at least {@link #size()}
     * @throws IllegalStateException if below the element count, or on a read-only view
     *     ({@link HnswIndex#openView(Path)})
     */
    public void resize(long maxElements) {
        try {
            Native.resize(id(), maxElements);
        } finally {
            keepAlive();
        }
    }

    // ---- saving ---------------------------------------------------------------------

    /**
     * Saves the index in hnswlib's file format: written to a temporary file that is synced
     * and renamed over {@code path}, so a crash never leaves a half-written index.
     *
     * @param path the file
     * @throws IOException if it cannot be written
     * @throws IllegalStateException for a codes-only {@link HnswIndex} (quantized without
     *     its vectors, which hnswlib's format stores); no file is written
     */
    public void save(Path path) throws IOException {
        save(path, true);
    }

    /**
     * Saves the index in hnswlib's file format, atomically (a temporary file renamed over
     * {@code path}). With {@code sync} true this is {@link #save(Path)}: the file is on disk
     * when the call returns. With {@code sync} false the call returns once the bytes are in
     * the page cache, as hnswlib's {@code saveIndex} does: faster, but a crash soon after
     * may leave the previous file or, on some file systems, an empty one.
     *
     * @param path the file
     * @param sync whether to wait until the file is on disk
     * @throws IOException if it cannot be written
     * @throws IllegalStateException for a codes-only {@link HnswIndex}; no file is written
     */
    public void save(Path path, boolean sync) throws IOException {
        write(path, sync, FileFormat.HNSWLIB);
    }

    /** Saves in {@code format} (HNSW indexes only have {@link FileFormat#NATIVE}). */
    final void write(Path path, boolean sync, FileFormat format) throws IOException {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(format, "format");
        try {
            Native.save(id(), path.toString(), sync, format.ordinal());
        } finally {
            keepAlive();
        }
    }

    /**
     * The bytes {@link #save(Path)} would write.
     *
     * @return the index in hnswlib's file format
     * @throws IllegalStateException if it is larger than a Java array can hold, or for a
     *     codes-only {@link HnswIndex}
     */
    public byte[] toBytes() {
        return bytes(FileFormat.HNSWLIB);
    }

    /** The bytes of the index in {@code format} (HNSW only for {@link FileFormat#NATIVE}). */
    final byte[] bytes(FileFormat format) {
        Objects.requireNonNull(format, "format");
        try {
            return Native.toBytes(id(), format.ordinal());
        } finally {
            keepAlive();
        }
    }

    @Override
    public String toString() {
        String name = getClass().getSimpleName();
        try {
            return name + "(" + space + ", size=" + size() + ")";
        } catch (IllegalStateException closedMeanwhile) {
            return name + "(" + space + ", closed)";
        }
    }
}
