package io.github.hnswlibrs;

import java.util.Objects;

/**
 * Settings of {@link HnswIndex#load(java.nio.file.Path, Space, LoadOptions)} and
 * {@link HnswIndex#fromBytes(byte[], Space, LoadOptions)}. Immutable: each {@code with}
 * method returns a copy.
 *
 * <pre>{@code
 * // An hnswlib file, searched on 8-bit codes made from its vectors.
 * HnswIndex index = HnswIndex.load(path, Space.cosine(768),
 *         LoadOptions.defaults().withQuantization(Quantization.SQ8));
 * }</pre>
 */
public final class LoadOptions {
    private static final LoadOptions DEFAULTS = new LoadOptions(0, false, Quantization.NONE, true);

    final long maxElements;
    final boolean allowReplaceDeleted;
    final Quantization quantization;
    final boolean keepVectors;

    private LoadOptions(long maxElements, boolean allowReplaceDeleted, Quantization quantization,
            boolean keepVectors) {
        this.maxElements = maxElements;
        this.allowReplaceDeleted = allowReplaceDeleted;
        this.quantization = quantization;
        this.keepVectors = keepVectors;
    }

    /**
     * The file's capacity, no slot reuse, no quantization (hnswlib's {@code load_index}).
     *
     * @return the defaults
     */
    public static LoadOptions defaults() {
        return DEFAULTS;
    }

    /**
     * A new capacity, used when at least the file's element count (otherwise, e.g. 0,
     * the file's capacity is kept, as in hnswlib).
     *
     * @param maxElements the capacity
     * @return a copy with this capacity
     */
    public LoadOptions withMaxElements(long maxElements) {
        return new LoadOptions(maxElements, allowReplaceDeleted, quantization, keepVectors);
    }

    /**
     * Whether adds may reuse the slots of deleted elements.
     *
     * @param allowReplaceDeleted the setting
     * @return a copy with this setting
     */
    public LoadOptions withAllowReplaceDeleted(boolean allowReplaceDeleted) {
        return new LoadOptions(maxElements, allowReplaceDeleted, quantization, keepVectors);
    }

    /**
     * What the loaded index's searches traverse: the file's vectors are read and, for
     * {@link Quantization#SQ8} or {@link Quantization#SQ4}, coded (the codes are learnt
     * from them when the file holds at least 1000 elements, later otherwise). While the
     * vectors are kept, {@link HnswIndex#save(java.nio.file.Path)} writes the same bytes
     * as the file read.
     *
     * @param quantization the storage mode
     * @return a copy with this mode
     * @throws NullPointerException if {@code quantization} is null
     */
    public LoadOptions withQuantization(Quantization quantization) {
        return new LoadOptions(maxElements, allowReplaceDeleted,
                Objects.requireNonNull(quantization, "quantization"), keepVectors);
    }

    /**
     * With quantization: whether to keep the exact vectors beside the codes (the
     * default; see {@link HnswIndex.Builder#keepVectors(boolean)}). {@code false} drops
     * them once coded: less memory, approximate distances, and the index can no longer
     * be saved in hnswlib's format. No effect without quantization.
     *
     * @param keepVectors whether to keep the vectors
     * @return a copy with this setting
     */
    public LoadOptions withKeepVectors(boolean keepVectors) {
        return new LoadOptions(maxElements, allowReplaceDeleted, quantization, keepVectors);
    }
}
