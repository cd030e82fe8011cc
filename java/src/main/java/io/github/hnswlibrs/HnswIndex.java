package io.github.hnswlibrs;

import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Objects;

/**
 * An HNSW approximate nearest-neighbour index: hnswlib's {@code Index}
 * ({@code HierarchicalNSW}) with the same parameters, defaults and files.
 *
 * <pre>{@code
 * try (HnswIndex index = new HnswIndex(Space.cosine(4), 1000)) {   // M=16, efConstruction=200
 *     index.add(new float[][] {{1, 0, 0, 0}, {0, 1, 0, 0}}, new long[] {10, 11});
 *     index.setEf(50);
 *     SearchResult r = index.knn(new float[] {0.9f, 0.1f, 0, 0}, 1);   // r.labels()[0] == 10
 *     index.save(Path.of("index.bin"));                                // hnswlib's format
 * }
 * }</pre>
 *
 * <p>Differences from hnswlib: bad input throws instead of crashing or returning garbage
 * (wrong dimension, NaN, k &lt; 1, unknown labels); {@code knn} returns fewer than k
 * neighbours when fewer exist instead of failing; {@link #save(Path)} reports I/O errors.
 * See {@link VectorIndex} for threads, labels and input.
 *
 * <p>Files: {@link #save(Path)} writes hnswlib's format (hnswlib loads it; loading it here
 * takes its space, {@link #load(Path, Space)}); {@link #save(Path, FileFormat)} with
 * {@link FileFormat#NATIVE} writes hnswlib-rs's own format, which names its space, dimension
 * and settings, so {@link #open(Path)} needs nothing else, and which
 * {@link #openView(Path)} maps into memory as a read-only index:
 *
 * <pre>{@code
 * index.save(Path.of("index.hnsw"), FileFormat.NATIVE);
 * try (HnswIndex view = HnswIndex.openView(Path.of("index.hnsw"))) {   // milliseconds, shared
 *     SearchResult r = view.knn(query, 10);                            // view.isView() == true
 * }
 * }</pre>
 *
 * <p>{@link #builder(Space, long)} also makes quantized indexes, whose searches traverse
 * 8-bit or 4-bit codes and re-rank their best candidates exactly (see
 * {@link Quantization}):
 *
 * <pre>{@code
 * try (HnswIndex index = HnswIndex.builder(Space.cosine(768), 100_000)
 *         .m(32).quantization(Quantization.SQ8).build()) {
 *     ...
 * }
 * }</pre>
 */
public final class HnswIndex extends VectorIndex {
    /** hnswlib's default M. */
    public static final int DEFAULT_M = 16;
    /** hnswlib's default ef_construction. */
    public static final int DEFAULT_EF_CONSTRUCTION = 200;
    /** hnswlib's default random seed. */
    public static final long DEFAULT_RANDOM_SEED = 100;

    private HnswIndex(long id, Space space) {
        super(id, space);
    }

    /**
     * A builder of an empty index with hnswlib's defaults, no quantization.
     *
     * @param space the space
     * @param maxElements the capacity (grow it later with {@link #resize(long)})
     * @return the builder
     * @throws NullPointerException if {@code space} is null
     */
    public static Builder builder(Space space, long maxElements) {
        return new Builder(Objects.requireNonNull(space, "space"), maxElements);
    }

    /**
     * Collects the parameters of a new {@link HnswIndex}: hnswlib's {@code init_index}
     * parameters and the storage mode. Each setter returns the builder;
     * {@link #build()} makes the index (the parameters are checked then).
     *
     * <pre>{@code
     * HnswIndex index = HnswIndex.builder(Space.l2(128), 1_000_000)
     *         .m(16).efConstruction(200)
     *         .quantization(Quantization.SQ8).keepVectors(false)
     *         .build();
     * }</pre>
     */
    public static final class Builder {
        private final Space space;
        private final long maxElements;
        private int m = DEFAULT_M;
        private int efConstruction = DEFAULT_EF_CONSTRUCTION;
        private long randomSeed = DEFAULT_RANDOM_SEED;
        private boolean allowReplaceDeleted;
        private Quantization quantization = Quantization.NONE;
        private boolean keepVectors = true;

        private Builder(Space space, long maxElements) {
            this.space = space;
            this.maxElements = maxElements;
        }

        /**
         * Links per element on the upper levels (2..10000; 2·M on level 0). Default 16.
         *
         * @param m M
         * @return this builder
         */
        public Builder m(int m) {
            this.m = m;
            return this;
        }

        /**
         * Candidate list size while building, at least M. Default 200.
         *
         * @param efConstruction efConstruction
         * @return this builder
         */
        public Builder efConstruction(int efConstruction) {
            this.efConstruction = efConstruction;
            return this;
        }

        /**
         * Seed of the level generator. Default 100.
         *
         * @param randomSeed the seed
         * @return this builder
         */
        public Builder randomSeed(long randomSeed) {
            this.randomSeed = randomSeed;
            return this;
        }

        /**
         * Whether adds may reuse the slots of deleted elements. Default false.
         *
         * @param allowReplaceDeleted the setting
         * @return this builder
         */
        public Builder allowReplaceDeleted(boolean allowReplaceDeleted) {
            this.allowReplaceDeleted = allowReplaceDeleted;
            return this;
        }

        /**
         * What searches traverse: the vectors ({@link Quantization#NONE}, the default) or
         * 8-bit / 4-bit codes of them, for the spaces l2, ip and cosine only. While the
         * vectors are kept, the graph is linked with exact distances as in an unquantized
         * index (the same adds on one thread give the same file).
         *
         * @param quantization the storage mode
         * @return this builder
         * @throws NullPointerException if {@code quantization} is null
         */
        public Builder quantization(Quantization quantization) {
            this.quantization = Objects.requireNonNull(quantization, "quantization");
            return this;
        }

        /**
         * With quantization: whether to keep the exact vectors beside the codes. Kept (the
         * default), searches re-rank with exact distances and the index saves in hnswlib's
         * format. Not kept, the index holds the codes only: much less memory, approximate
         * distances, {@link HnswIndex#getItem(long)} returns the vectors the codes stand
         * for, and {@link HnswIndex#save(Path)} and {@link HnswIndex#toBytes()} throw
         * {@link IllegalStateException}.
         * No effect without quantization.
         *
         * @param keepVectors whether to keep the vectors
         * @return this builder
         */
        public Builder keepVectors(boolean keepVectors) {
            this.keepVectors = keepVectors;
            return this;
        }

        /**
         * Makes the index.
         *
         * @return a new empty index
         * @throws IllegalArgumentException for parameters out of range, or quantization
         *     with a custom distance
         */
        public HnswIndex build() {
            return new HnswIndex(Native.newHnsw(space, maxElements, m, efConstruction, randomSeed,
                    allowReplaceDeleted, quantization.ordinal(), keepVectors), space);
        }
    }

    /**
     * An empty index with hnswlib's defaults (M=16, efConstruction=200, randomSeed=100).
     *
     * @param space the space
     * @param maxElements the capacity (grow it later with {@link #resize(long)})
     */
    public HnswIndex(Space space, long maxElements) {
        this(space, maxElements, DEFAULT_M, DEFAULT_EF_CONSTRUCTION, DEFAULT_RANDOM_SEED, false);
    }

    /**
     * An empty index (hnswlib's {@code init_index}).
     *
     * @param space the space
     * @param maxElements the capacity (grow it later with {@link #resize(long)})
     * @param m links per element on the upper levels (2..10000; 2·M on level 0)
     * @param efConstruction candidate list size while building, at least M
     * @param randomSeed seed of the level generator
     * @param allowReplaceDeleted whether adds may reuse the slots of deleted elements
     * @throws IllegalArgumentException for parameters out of range
     */
    public HnswIndex(Space space, long maxElements, int m, int efConstruction, long randomSeed,
            boolean allowReplaceDeleted) {
        this(Native.newHnsw(Objects.requireNonNull(space, "space"), maxElements, m, efConstruction, randomSeed,
                allowReplaceDeleted, Quantization.NONE.ordinal(), true), space);
    }

    /**
     * An empty index by hnswlib's space name, with hnswlib's defaults.
     *
     * @param space {@code "l2"}, {@code "ip"}, {@code "cosine"} or {@code "l2u8"}
     * @param dim elements per vector (floats; bytes for l2u8)
     * @param maxElements the capacity
     */
    public HnswIndex(String space, int dim, long maxElements) {
        this(Space.of(space, dim), maxElements);
    }

    /**
     * An empty index by hnswlib's space name.
     *
     * @param space {@code "l2"}, {@code "ip"}, {@code "cosine"} or {@code "l2u8"}
     * @param dim elements per vector (floats; bytes for l2u8)
     * @param maxElements the capacity
     * @param m links per element
     * @param efConstruction candidate list size while building
     * @param randomSeed seed of the level generator
     * @param allowReplaceDeleted whether adds may reuse deleted slots
     */
    public HnswIndex(String space, int dim, long maxElements, int m, int efConstruction, long randomSeed,
            boolean allowReplaceDeleted) {
        this(Space.of(space, dim), maxElements, m, efConstruction, randomSeed, allowReplaceDeleted);
    }

    /**
     * Loads an index saved by hnswlib ({@code save_index}) or by {@link #save(Path)}, in
     * either {@link FileFormat} (told apart by the native format's magic bytes).
     *
     * @param path the file
     * @param space the space it was built with (the dimension is checked against the file; a
     *     native file of a {@link Space#named(String) named} custom distance also checks the
     *     name, and gives it to an unnamed space)
     * @return the index
     * @throws IOException if the file cannot be read
     * @throws IndexFormatException if it is not a valid index for this space
     * @throws IllegalArgumentException for a native file of another space, dimension or
     *     distance name
     */
    public static HnswIndex load(Path path, Space space) throws IOException {
        return load(path, space, 0, false);
    }

    /**
     * Loads an index, as hnswlib's {@code load_index(path, max_elements, allow_replace_deleted)}.
     *
     * @param path the file
     * @param space the space it was built with
     * @param maxElements a new capacity, used when at least the element count (0 keeps the file's)
     * @param allowReplaceDeleted whether adds may reuse deleted slots
     * @return the index
     * @throws IOException if the file cannot be read
     * @throws IndexFormatException if it is not a valid index for this space
     */
    public static HnswIndex load(Path path, Space space, long maxElements, boolean allowReplaceDeleted)
            throws IOException {
        return load(path, space, LoadOptions.defaults().withMaxElements(maxElements)
                .withAllowReplaceDeleted(allowReplaceDeleted));
    }

    /**
     * Loads an index saved by hnswlib or by {@link #save(Path)} with a capacity, slot reuse
     * and a storage mode: {@code LoadOptions.defaults().withQuantization(Quantization.SQ8)}
     * reads the file's vectors and searches 8-bit codes of them.
     *
     * @param path the file
     * @param space the space it was built with
     * @param options capacity, slot reuse, quantization
     * @return the index
     * @throws IOException if the file cannot be read
     * @throws IndexFormatException if it is not a valid index for this space
     * @throws IllegalArgumentException for quantization with a custom distance
     */
    public static HnswIndex load(Path path, Space space, LoadOptions options) throws IOException {
        Objects.requireNonNull(path, "path");
        return loaded(path.toString(), null, space, options);
    }

    /**
     * Loads a file saved in the {@link FileFormat#NATIVE} format, which names its space,
     * dimension, M, efConstruction, ef and storage mode: {@link #space()}, {@link #getEf()},
     * {@link #quantization()} and the rest report the file's. Files of a custom distance
     * need their space: {@link #load(Path, Space)}.
     *
     * @param path the file
     * @return the index
     * @throws IOException if the file cannot be read
     * @throws IndexFormatException if it is not a valid native file (a file in hnswlib's
     *     format does not name its space: load it with {@link #load(Path, Space)})
     * @throws IllegalArgumentException for the file of a custom distance
     */
    public static HnswIndex open(Path path) throws IOException {
        return open(path, LoadOptions.defaults());
    }

    /**
     * {@link #open(Path)} with a capacity and slot reuse ({@link LoadOptions}); a
     * quantization other than {@link Quantization#NONE} must be the file's.
     *
     * @param path the file
     * @param options capacity, slot reuse, quantization
     * @return the index
     * @throws IOException if the file cannot be read
     * @throws IndexFormatException if it is not a valid native file
     * @throws IllegalArgumentException for the file of a custom distance, or a quantization
     *     other than the file's
     */
    public static HnswIndex open(Path path, LoadOptions options) throws IOException {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(options, "options");
        return ofFile(Native.open(path.toString(), null, options.maxElements, options.allowReplaceDeleted,
                options.quantization.ordinal(), options.keepVectors));
    }

    /**
     * Opens a file saved in the {@link FileFormat#NATIVE} format as a read-only view: the
     * file is mapped into memory, not read, and searches use it where it lies. Opening takes
     * milliseconds whatever the size, an index larger than memory can be searched (the system
     * pages it in and out), and processes (or indexes) viewing one file share one copy of it
     * in the page cache. Space, dimension and settings come from the file.
     *
     * <p>Searches, {@link #getItem(long)}, {@link #ids()}, {@link #save(Path, FileFormat)}
     * (either format), {@link #toBytes()} and {@link #setEf(int)} work as on a loaded index;
     * {@code add}, {@link #markDeleted(long)}, {@link #unmarkDeleted(long)} and
     * {@link #resize(long)} throw {@link IllegalStateException} ("... read-only view ...").
     * The file must not be truncated or rewritten in place while the view is open (saves
     * replace files by renaming, which is safe; deleting it is safe). {@link #close()}
     * unmaps it.
     *
     * @param path the file
     * @return the view
     * @throws IOException if the file cannot be opened
     * @throws IndexFormatException if it is not in the native format (an hnswlib file, or not
     *     an index: the message says which), or is truncated or corrupted
     * @throws IllegalArgumentException if it holds a custom distance
     */
    public static HnswIndex openView(Path path) throws IOException {
        return openView(path, ViewOptions.defaults());
    }

    /**
     * {@link #openView(Path)} with verification or read-ahead ({@link ViewOptions}).
     *
     * @param path the file
     * @param options verify, populate
     * @return the view
     * @throws IOException if the file cannot be opened
     * @throws IndexFormatException if it is not in the native format, or is truncated or
     *     corrupted
     * @throws IllegalArgumentException if it holds a custom distance
     */
    public static HnswIndex openView(Path path, ViewOptions options) throws IOException {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(options, "options");
        return ofFile(Native.openView(path.toString(), null, options.verify, options.populate));
    }

    /**
     * {@link #openView(Path, ViewOptions)} of any native file with the space it was built
     * with: needed for custom distances, checked against the file for the others.
     *
     * @param path the file
     * @param space its space
     * @param options verify, populate
     * @return the view
     * @throws IOException if the file cannot be opened
     * @throws IndexFormatException if it is not in the native format, or is truncated or
     *     corrupted
     * @throws IllegalArgumentException if it is of another space or dimension, or of a custom
     *     distance of another name ({@link Space#named(String)})
     */
    public static HnswIndex openView(Path path, Space space, ViewOptions options) throws IOException {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(space, "space");
        Objects.requireNonNull(options, "options");
        return withSpace(Native.openView(path.toString(), space, options.verify, options.populate), space);
    }

    /** The index behind {@code id}, read from a native file: its space is the file's. */
    private static HnswIndex ofFile(long id) {
        try {
            int kind = (int) Native.info(id, Native.INFO_SPACE);
            return new HnswIndex(id, Space.builtIn(kind, (int) Native.info(id, Native.INFO_DIM)));
        } catch (RuntimeException e) {
            Native.free(id);
            throw e;
        }
    }

    /**
     * The index behind {@code id}, made with {@code space}: an unnamed custom space read from
     * a native file that names it takes the file's name, as the native library's space did.
     */
    private static HnswIndex withSpace(long id, Space space) {
        try {
            String name = Native.spaceName(id);
            boolean renamed = name != null && !name.equals(space.customName);
            return new HnswIndex(id, renamed ? space.named(name) : space);
        } catch (RuntimeException e) {
            Native.free(id);
            throw e;
        }
    }

    /** An index from the file {@code path}, or from {@code bytes} when path is null. */
    private static HnswIndex loaded(String path, byte[] bytes, Space space, LoadOptions options)
            throws IndexFormatException {
        Objects.requireNonNull(space, "space");
        Objects.requireNonNull(options, "options");
        return withSpace(Native.load(true, path, bytes, space, options.maxElements, options.allowReplaceDeleted,
                DEFAULT_RANDOM_SEED, options.quantization.ordinal(), options.keepVectors), space);
    }

    /**
     * Reads an index from the bytes of a file in the {@link FileFormat#NATIVE} format
     * ({@link #toBytes(FileFormat)}), which name its space, dimension and settings, as
     * {@link #open(Path)} reads the file.
     *
     * @param bytes the native format
     * @return the index
     * @throws IndexFormatException if the bytes are not in the native format (hnswlib's
     *     format does not name its space: read it with {@link #fromBytes(byte[], Space)}) or
     *     are truncated or corrupted
     * @throws IllegalArgumentException for the index of a custom distance
     */
    public static HnswIndex fromBytes(byte[] bytes) throws IndexFormatException {
        return fromBytes(bytes, LoadOptions.defaults());
    }

    /**
     * {@link #fromBytes(byte[])} with a capacity and slot reuse ({@link LoadOptions}); a
     * quantization other than {@link Quantization#NONE} must be the file's.
     *
     * @param bytes the native format
     * @param options capacity, slot reuse, quantization
     * @return the index
     * @throws IndexFormatException if the bytes are not a valid index in the native format
     * @throws IllegalArgumentException for the index of a custom distance, or a quantization
     *     other than the file's
     */
    public static HnswIndex fromBytes(byte[] bytes, LoadOptions options) throws IndexFormatException {
        Objects.requireNonNull(bytes, "bytes");
        Objects.requireNonNull(options, "options");
        return ofFile(Native.open(null, bytes, options.maxElements, options.allowReplaceDeleted,
                options.quantization.ordinal(), options.keepVectors));
    }

    /**
     * Reads an index from the bytes of an index file ({@link #toBytes()}).
     *
     * @param bytes hnswlib's file format
     * @param space the space it was built with
     * @return the index
     * @throws IndexFormatException if the bytes are not a valid index for this space
     */
    public static HnswIndex fromBytes(byte[] bytes, Space space) throws IndexFormatException {
        return fromBytes(bytes, space, 0, false);
    }

    /**
     * Reads an index from bytes, with a capacity and slot reuse as for {@link #load(Path, Space, long, boolean)}.
     *
     * @param bytes hnswlib's file format
     * @param space the space it was built with
     * @param maxElements a new capacity, used when at least the element count
     * @param allowReplaceDeleted whether adds may reuse deleted slots
     * @return the index
     * @throws IndexFormatException if the bytes are not a valid index for this space
     */
    public static HnswIndex fromBytes(byte[] bytes, Space space, long maxElements, boolean allowReplaceDeleted)
            throws IndexFormatException {
        return fromBytes(bytes, space, LoadOptions.defaults().withMaxElements(maxElements)
                .withAllowReplaceDeleted(allowReplaceDeleted));
    }

    /**
     * Reads an index from bytes with a capacity, slot reuse and a storage mode, as
     * {@link #load(Path, Space, LoadOptions)}.
     *
     * @param bytes hnswlib's file format
     * @param space the space it was built with
     * @param options capacity, slot reuse, quantization
     * @return the index
     * @throws IndexFormatException if the bytes are not a valid index for this space
     * @throws IllegalArgumentException for quantization with a custom distance
     */
    public static HnswIndex fromBytes(byte[] bytes, Space space, LoadOptions options) throws IndexFormatException {
        return loaded(null, Objects.requireNonNull(bytes, "bytes"), space, options);
    }

    /**
     * Whether the index is a read-only view of a file ({@link #openView(Path)}).
     *
     * @return true for a view
     */
    public boolean isView() {
        return info(Native.INFO_IS_VIEW) != 0;
    }

    // ---- saving ---------------------------------------------------------------------

    /**
     * Saves the index in {@code format}, atomically and durably (as {@link #save(Path)}).
     * {@link FileFormat#NATIVE} holds any index, codes-only ones included.
     *
     * @param path the file
     * @param format the file format
     * @throws IOException if it cannot be written
     * @throws IllegalStateException for a codes-only index in {@link FileFormat#HNSWLIB}
     */
    public void save(Path path, FileFormat format) throws IOException {
        save(path, format, true);
    }

    /**
     * Saves the index in {@code format}, atomically; {@code sync} as for
     * {@link #save(Path, boolean)}.
     *
     * @param path the file
     * @param format the file format
     * @param sync whether to wait until the file is on disk
     * @throws IOException if it cannot be written
     * @throws IllegalStateException for a codes-only index in {@link FileFormat#HNSWLIB}
     */
    public void save(Path path, FileFormat format, boolean sync) throws IOException {
        write(path, sync, format);
    }

    /**
     * The bytes {@link #save(Path, FileFormat)} would write.
     *
     * @param format the file format
     * @return the index in that format
     * @throws IllegalStateException if it is larger than a Java array can hold, or for a
     *     codes-only index in {@link FileFormat#HNSWLIB}
     */
    public byte[] toBytes(FileFormat format) {
        return bytes(format);
    }

    // ---- adding ---------------------------------------------------------------------

    /**
     * Adds one vector; with {@code replaceDeleted} a deleted element's slot is reused.
     *
     * @param vector {@link #dim()} finite floats
     * @param label its label; an existing label is updated in place
     * @param replaceDeleted reuse a deleted slot (needs {@code allowReplaceDeleted})
     */
    public void add(float[] vector, long label, boolean replaceDeleted) {
        addRows(Input.of(Objects.requireNonNull(vector, "vector")), new long[] {label},
                AddOptions.defaults().withThreads(1).withReplaceDeleted(replaceDeleted));
    }

    /**
     * Adds one u8 vector (space {@link Space#l2u8(int)}; bytes read as unsigned); with
     * {@code replaceDeleted} a deleted element's slot is reused.
     *
     * @param vector {@link #dim()} bytes
     * @param label its label; an existing label is updated in place
     * @param replaceDeleted reuse a deleted slot (needs {@code allowReplaceDeleted})
     */
    public void add(byte[] vector, long label, boolean replaceDeleted) {
        addRows(Input.of(Objects.requireNonNull(vector, "vector")), new long[] {label},
                AddOptions.defaults().withThreads(1).withReplaceDeleted(replaceDeleted));
    }

    /**
     * Adds rows on several threads (hnswlib's {@code add_items}). Every row is checked,
     * and the capacity, before anything is added; a cancel or a later failure keeps the
     * rows added so far.
     *
     * @param vectors rows of {@link #dim()} floats
     * @param labels one label per row, or null for hnswlib's automatic labels (a counter
     *     that starts at 0, or at the element count after a load, and advances by the row
     *     count on every add of rows)
     * @param options threads, slot reuse, progress
     * @throws java.util.concurrent.CancellationException if the progress listener cancelled
     */
    public void add(float[][] vectors, long[] labels, AddOptions options) {
        addRows(Input.of(flatten(vectors)), labels, Objects.requireNonNull(options, "options"));
    }

    /**
     * Adds u8 rows on several threads (space {@link Space#l2u8(int)}; bytes read as
     * unsigned), as {@link #add(float[][], long[], AddOptions)}.
     *
     * @param vectors rows of {@link #dim()} bytes
     * @param labels one label per row, or null for automatic labels
     * @param options threads, slot reuse, progress
     * @throws java.util.concurrent.CancellationException if the progress listener cancelled
     */
    public void add(byte[][] vectors, long[] labels, AddOptions options) {
        addRows(Input.of(flatten(vectors)), labels, Objects.requireNonNull(options, "options"));
    }

    /**
     * Adds the rows held by the remaining floats of a direct buffer, read in place.
     *
     * @param vectors a direct buffer in native byte order, {@link #dim()} floats per row
     * @param labels one label per row, or null for automatic labels
     * @param options threads, slot reuse, progress
     */
    public void add(FloatBuffer vectors, long[] labels, AddOptions options) {
        addRows(Input.of(vectors), labels, Objects.requireNonNull(options, "options"));
    }

    /**
     * Adds rows with automatic labels (hnswlib's {@code add_items(data)}).
     *
     * @param vectors rows of {@link #dim()} floats
     */
    public void add(float[][] vectors) {
        add(vectors, null, AddOptions.defaults());
    }

    /**
     * Adds u8 rows with automatic labels (space {@link Space#l2u8(int)}).
     *
     * @param vectors rows of {@link #dim()} bytes
     */
    public void add(byte[][] vectors) {
        add(vectors, null, AddOptions.defaults());
    }

    // ---- deletion -------------------------------------------------------------------

    /**
     * Marks {@code label} deleted: it still routes searches but is never returned.
     *
     * @param label the label
     * @throws LabelNotFoundException if it is not in the index
     * @throws IllegalStateException if it is already deleted, or on a view ({@link #isView()})
     */
    public void markDeleted(long label) {
        labelOp(Native.LABEL_MARK_DELETED, label);
    }

    /**
     * Undoes {@link #markDeleted(long)}.
     *
     * @param label the label
     * @throws LabelNotFoundException if it is not in the index
     * @throws IllegalStateException if it is not deleted, or on a view ({@link #isView()})
     */
    public void unmarkDeleted(long label) {
        labelOp(Native.LABEL_UNMARK_DELETED, label);
    }

    /**
     * Whether {@code label} is marked deleted.
     *
     * @param label the label
     * @return true if deleted
     * @throws LabelNotFoundException if it is not in the index
     */
    public boolean isDeleted(long label) {
        return labelOp(Native.LABEL_IS_DELETED, label);
    }

    /**
     * Number of elements marked deleted.
     *
     * @return the count
     */
    public long deletedCount() {
        return info(Native.INFO_DELETED);
    }

    /**
     * hnswlib's {@code checkIntegrity}: checks every link list of the graph (within its
     * capacity, naming existing elements, no self links, no repeated links).
     *
     * @return the counts of a sound graph
     * @throws IndexFormatException naming the first fault of a damaged graph
     */
    public IntegrityReport checkIntegrity() throws IndexFormatException {
        try {
            long[] r = Native.checkIntegrity(id());
            return new IntegrityReport(r[0], r[1], r[2], r[3]);
        } finally {
            keepAlive();
        }
    }

    // ---- parameters -----------------------------------------------------------------

    /**
     * Sets the query-time ef (default 10; the effective value is {@code max(ef, k)}).
     *
     * @param ef the size of the candidate list, at least 0
     */
    public void setEf(int ef) {
        try {
            Native.setEf(id(), ef);
        } finally {
            keepAlive();
        }
    }

    /**
     * The query-time ef.
     *
     * @return ef
     */
    public int getEf() {
        return (int) info(Native.INFO_EF);
    }

    @Override
    int defaultEf() {
        return getEf();
    }

    /**
     * Sets the re-ranking depth of a quantized index: its searches re-score the best
     * {@code rerank × k} candidates of the code traversal (at most ef) with exact
     * distances. Higher is slower and closer to the recall of an unquantized index.
     * Default 2 for {@link Quantization#SQ8}, 4 for {@link Quantization#SQ4}; no effect
     * without quantization. {@link SearchOptions#withRerank(float)} sets it for one call.
     *
     * @param rerank the factor, a finite number; values below 1 mean k
     * @throws IllegalArgumentException if {@code rerank} is NaN or infinite
     */
    public void setRerank(float rerank) {
        try {
            Native.setRerank(id(), rerank);
        } finally {
            keepAlive();
        }
    }

    /**
     * The re-ranking depth of a quantized index (see {@link #setRerank(float)}).
     *
     * @return the factor
     */
    public float getRerank() {
        try {
            return Native.getRerank(id());
        } finally {
            keepAlive();
        }
    }

    /**
     * What searches traverse (set by {@link Builder#quantization(Quantization)} or
     * {@link LoadOptions#withQuantization(Quantization)}).
     *
     * @return the storage mode
     */
    public Quantization quantization() {
        return Quantization.values()[(int) info(Native.INFO_QUANTIZATION)];
    }

    /**
     * Whether the index keeps its exact vectors: false only for a quantized index made
     * with {@code keepVectors(false)}, which cannot be saved in hnswlib's format.
     *
     * @return true unless codes-only
     */
    public boolean keepsVectors() {
        return info(Native.INFO_KEEPS_VECTORS) != 0;
    }

    /**
     * Whether a quantized index has learnt its codes: once it holds 1000 elements;
     * before, it stores and searches exact vectors. False without quantization.
     *
     * @return true once the codes are learnt
     */
    public boolean isTrained() {
        return info(Native.INFO_TRAINED) != 0;
    }

    /**
     * M.
     *
     * @return links per element on the upper levels
     */
    public int m() {
        return (int) info(Native.INFO_M);
    }

    /**
     * efConstruction.
     *
     * @return the candidate list size while building
     */
    public int efConstruction() {
        return (int) info(Native.INFO_EF_CONSTRUCTION);
    }

    /**
     * Whether adds may reuse the slots of deleted elements.
     *
     * @return the setting given at creation or load
     */
    public boolean allowReplaceDeleted() {
        return info(Native.INFO_ALLOW_REPLACE_DELETED) != 0;
    }

    /**
     * Exact size in bytes of the saved index (hnswlib's {@code index_file_size}).
     *
     * @return the file size
     */
    public long indexFileSize() {
        return info(Native.INFO_FILE_SIZE);
    }
}
