package io.github.hnswlibrs;

import java.io.IOException;
import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.IntFunction;
import java.util.function.ToIntFunction;

/**
 * What {@link HnswIndex} and {@link BruteForceIndex} share: adding vectors under
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
 *
 * <h2>u8 vectors</h2>
 * An index of {@link Space#l2u8(int)} (hnswlib's {@code L2SpaceI}) holds vectors of
 * {@code dim} unsigned bytes and takes them as {@code byte[]} / {@code byte[][]}:
 * {@link #add(byte[], long)}, {@link #knn(byte[], int)}, {@link #knnBatch(byte[][], int)},
 * {@link #getByteItem(long)} and the other {@code byte} overloads. <b>Each Java byte is
 * read as its unsigned value</b> 0..255: Java's {@code byte} is signed, so {@code (byte) 200}
 * (which prints as -56) means 200; convert back with {@link Byte#toUnsignedInt(byte)}.
 * Distances are squared L2 summed in integers, returned as floats (exact up to
 * 2<sup>24</sup>, as hnswlib returns them). The float methods on a u8 index, and the byte
 * methods on a float index, throw {@link IllegalArgumentException} ("Wrong element
 * type: ..."); nothing is converted.
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
     * Elements per vector: floats, or bytes for {@link Space#l2u8(int)}.
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
        return flatten(rows, float[]::new, row -> row.length);
    }

    final byte[] flatten(byte[][] rows) {
        return flatten(rows, byte[]::new, row -> row.length);
    }

    /** The rows (each an array of dim elements) copied into one new array. */
    private <A> A flatten(A[] rows, IntFunction<A> newArray, ToIntFunction<A> length) {
        Objects.requireNonNull(rows, "vectors");
        int dim = space.dim;
        if ((long) rows.length * dim > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(rows.length + " rows of dim " + dim
                    + " exceed a Java array; pass a direct FloatBuffer or add in parts");
        }
        A flat = newArray.apply(rows.length * dim);
        for (int r = 0; r < rows.length; r++) {
            A row = rows[r];
            if (row == null) {
                throw new IllegalArgumentException("row " + r + " is null");
            }
            if (length.applyAsInt(row) != dim) {
                throw new IllegalArgumentException("Wrong dimensionality of the vectors: the index has dim "
                        + dim + ", got " + length.applyAsInt(row) + " (row " + r + ")");
            }
            System.arraycopy(row, 0, flat, r * dim, dim);
        }
        return flat;
    }

    /**
     * Vectors on their way to a native call: u8 {@code bytes}, a float array, or the
     * remaining floats of a direct buffer (exactly one is not null).
     */
    record Input(float[] floats, byte[] bytes, FloatBuffer buffer) {
        static Input of(float[] floats) {
            return new Input(floats, null, null);
        }

        static Input of(byte[] bytes) {
            return new Input(null, bytes, null);
        }

        static Input of(FloatBuffer buffer) {
            return new Input(null, null, checkBuffer(buffer));
        }

        int pos() {
            return buffer != null ? buffer.position() : 0;
        }

        /** Elements held; for an array the native side takes the whole array. */
        int len() {
            return buffer != null ? buffer.remaining() : bytes != null ? bytes.length : floats.length;
        }

        /** The length the native side reads from the buffer (0 for arrays). */
        int bufferLen() {
            return buffer != null ? buffer.remaining() : 0;
        }
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
    final void addRows(Input in, long[] labels, AddOptions opts) {
        long h = id();
        try {
            Native.add(h, in.floats, in.bytes, in.buffer, in.pos(), in.bufferLen(), labels, opts.threads,
                    opts.replaceDeleted, opts.progress);
        } finally {
            Reference.reachabilityFence(in);
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
        addRows(Input.of(Objects.requireNonNull(vector, "vector")), new long[] {label}, AddOptions.defaults());
    }

    /**
     * Adds one u8 vector under {@code label} (an index of {@link Space#l2u8(int)}); an
     * existing label gets the new vector. Each byte is read as unsigned (0..255).
     *
     * @param vector {@link #dim()} bytes
     * @param label its label
     * @throws IllegalArgumentException for a wrong length, or a float index
     * @throws CapacityExceededException when the label is new and the index is full
     */
    public void add(byte[] vector, long label) {
        addRows(Input.of(Objects.requireNonNull(vector, "vector")), new long[] {label}, AddOptions.defaults());
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
        addRows(Input.of(flatten(vectors)), Objects.requireNonNull(labels, "labels"), AddOptions.defaults());
    }

    /**
     * Adds one u8 vector per row, {@code labels[i]} for row {@code i} (an index of
     * {@link Space#l2u8(int)}; bytes read as unsigned). Every row is checked, and the
     * capacity, before anything is added.
     *
     * @param vectors rows of {@link #dim()} bytes
     * @param labels one label per row
     * @throws IllegalArgumentException for bad rows, a label count that differs, or a float index
     * @throws CapacityExceededException when the new labels do not fit
     */
    public void add(byte[][] vectors, long[] labels) {
        addRows(Input.of(flatten(vectors)), Objects.requireNonNull(labels, "labels"), AddOptions.defaults());
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
        addRows(Input.of(vectors), Objects.requireNonNull(labels, "labels"), AddOptions.defaults());
    }

    // ---- searching ------------------------------------------------------------------

    /** The index's own ef (for HNSW), used when a large k is clamped. */
    int defaultEf() {
        return 0;
    }

    private SearchResult search(Input in, int k, SearchOptions opts) {
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
            int n = Native.search(h, in.floats, in.bytes, in.buffer, in.pos(), in.bufferLen(), cap, ef,
                    opts.rerank, opts.filter, opts.labelFilter, labels, distances);
            if (n < labels.length) {
                labels = Arrays.copyOf(labels, n);
                distances = Arrays.copyOf(distances, n);
            }
            return new SearchResult(labels, distances);
        } finally {
            Reference.reachabilityFence(in);
            keepAlive();
        }
    }

    private BatchSearchResult searchBatch(Input in, int k, SearchOptions opts) {
        Objects.requireNonNull(opts, "options");
        long h = id();
        try {
            int rows = in.len() / space.dim;
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
            Native.searchBatch(h, in.floats, in.bytes, in.buffer, in.pos(), in.bufferLen(), kk, ef, opts.rerank,
                    opts.filter, opts.labelFilter, opts.threads, labels, distances, counts);
            return new BatchSearchResult(kk, labels, distances, counts);
        } finally {
            Reference.reachabilityFence(in);
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
        return search(Input.of(Objects.requireNonNull(query, "query")), k, options);
    }

    /**
     * The {@code k} nearest neighbours of a u8 query (an index of {@link Space#l2u8(int)};
     * bytes read as unsigned), closest first, with exact integer squared distances.
     *
     * @param query {@link #dim()} bytes
     * @param k how many, at least 1
     * @return up to k neighbours (fewer when fewer elements are live)
     * @throws IllegalArgumentException for k &lt; 1, a wrong length, or a float index
     */
    public SearchResult knn(byte[] query, int k) {
        return knn(query, k, SearchOptions.defaults());
    }

    /**
     * {@link #knn(byte[], int)} with per-call ef and filter.
     *
     * @param query {@link #dim()} bytes
     * @param k how many, at least 1
     * @param options ef and filter
     * @return up to k neighbours (fewer when fewer elements are live and pass the filter)
     * @throws IllegalArgumentException for k &lt; 1, a wrong length, or a float index
     */
    public SearchResult knn(byte[] query, int k, SearchOptions options) {
        return search(Input.of(Objects.requireNonNull(query, "query")), k, options);
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
        return search(Input.of(query), k, options);
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
        return searchBatch(Input.of(flatten(queries)), k, options);
    }

    /**
     * Searches every row of u8 {@code queries} on all cores (an index of
     * {@link Space#l2u8(int)}; bytes read as unsigned).
     *
     * @param queries rows of {@link #dim()} bytes
     * @param k neighbours per query, at least 1
     * @return the results, row by row
     */
    public BatchSearchResult knnBatch(byte[][] queries, int k) {
        return knnBatch(queries, k, SearchOptions.defaults());
    }

    /**
     * {@link #knnBatch(byte[][], int)} with per-call ef, filter and thread count.
     *
     * @param queries rows of {@link #dim()} bytes
     * @param k neighbours per query, at least 1
     * @param options ef, filter and threads
     * @return the results, row by row
     */
    public BatchSearchResult knnBatch(byte[][] queries, int k, SearchOptions options) {
        return searchBatch(Input.of(flatten(queries)), k, options);
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
        return searchBatch(Input.of(queries), k, options);
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
        return rangeSearch(Input.of(flatten(queries)), queries.length, epsilon, maxResults, options);
    }

    /**
     * {@link #rangeSearch(float[][], float, long, SearchOptions)} of u8 queries (an index of
     * {@link Space#l2u8(int)}; bytes read as unsigned; epsilon compares with the integer
     * squared distances).
     *
     * @param queries rows of {@link #dim()} bytes
     * @param epsilon the radius, not negative
     * @param maxResults the most results per query, at least 1
     * @param options min candidates (ef), filter and threads
     * @return the results of every query
     */
    public RangeSearchResult rangeSearch(byte[][] queries, float epsilon, long maxResults, SearchOptions options) {
        return rangeSearch(Input.of(flatten(queries)), queries.length, epsilon, maxResults, options);
    }

    private RangeSearchResult rangeSearch(Input in, int rows, float epsilon, long maxResults, SearchOptions options) {
        Objects.requireNonNull(options, "options");
        long h = id();
        try {
            long[] packed = Native.rangeSearch(h, in.floats, in.bytes, null, 0, 0, epsilon, maxResults, options.ef,
                    options.filter, options.labelFilter, options.threads);
            return RangeSearchResult.unpack(packed, rows);
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
        return searchDocs(Input.of(flatten(queries)), queries.length, k, docOfLabel, options);
    }

    /**
     * {@link #searchDocs(float[][], int, long[], SearchOptions)} of u8 queries (an index of
     * {@link Space#l2u8(int)}; bytes read as unsigned).
     *
     * @param queries rows of {@link #dim()} bytes
     * @param k documents per query, at least 1
     * @param docOfLabel the document of each label
     * @param options ef collection, filter and threads
     * @return the documents of every query
     */
    public DocSearchResult searchDocs(byte[][] queries, int k, long[] docOfLabel, SearchOptions options) {
        return searchDocs(Input.of(flatten(queries)), queries.length, k, docOfLabel, options);
    }

    private DocSearchResult searchDocs(Input in, int rows, int k, long[] docOfLabel, SearchOptions options) {
        Objects.requireNonNull(docOfLabel, "docOfLabel");
        Objects.requireNonNull(options, "options");
        long h = id();
        try {
            long[] packed = Native.searchDocs(h, in.floats, in.bytes, null, 0, 0, k, docOfLabel, options.ef,
                    options.filter, options.labelFilter, options.threads);
            return DocSearchResult.unpack(packed, rows);
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
     * @throws IllegalArgumentException for a u8 index (use {@link #getByteItem(long)})
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
        float[][] out = new float[labels.length][];
        Arrays.setAll(out, i -> Arrays.copyOfRange(flat, i * space.dim, (i + 1) * space.dim));
        return out;
    }

    /**
     * The stored u8 vector of {@code label} (an index of {@link Space#l2u8(int)}): bytes to
     * be read as unsigned, {@code Byte.toUnsignedInt(v[i])}.
     *
     * @param label the label
     * @return a copy of its vector
     * @throws LabelNotFoundException if the label is not in the index (or is deleted)
     * @throws IllegalArgumentException for a float index (use {@link #getItem(long)})
     */
    public byte[] getByteItem(long label) {
        try {
            return Native.getByteItems(id(), new long[] {label});
        } finally {
            keepAlive();
        }
    }

    /**
     * The stored u8 vectors of {@code labels}, one row each (as {@link #getByteItem(long)}).
     *
     * @param labels the labels
     * @return copies of their vectors
     * @throws LabelNotFoundException if one is not in the index (or is deleted)
     * @throws IllegalArgumentException for a float index (use {@link #getItems(long[])})
     */
    public byte[][] getByteItems(long[] labels) {
        Objects.requireNonNull(labels, "labels");
        byte[] flat;
        try {
            flat = Native.getByteItems(id(), labels);
        } finally {
            keepAlive();
        }
        byte[][] out = new byte[labels.length][];
        Arrays.setAll(out, i -> Arrays.copyOfRange(flat, i * space.dim, (i + 1) * space.dim));
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
