package io.github.hnswlibrs;

/**
 * The file format of a saved {@link HnswIndex}.
 *
 * <pre>{@code
 * index.save(Path.of("index.hnsw"), FileFormat.NATIVE);
 * try (HnswIndex same = HnswIndex.open(Path.of("index.hnsw"));        // no space, no dim
 *         HnswIndex view = HnswIndex.openView(Path.of("index.hnsw"))) { // memory-mapped, read-only
 *     ...
 * }
 * }</pre>
 */
public enum FileFormat {
    /**
     * hnswlib's {@code saveIndex} format, byte for byte (the default): hnswlib loads it, but
     * it names neither the space nor the dimension, so loading needs them
     * ({@link HnswIndex#load(java.nio.file.Path, Space)}), and codes-only indexes cannot use it.
     */
    HNSWLIB,
    /**
     * hnswlib-rs's own format (docs/native-format.md): names its space, dimension, parameters
     * and storage mode ({@link HnswIndex#open(java.nio.file.Path)} needs no space), checksums
     * every section, holds any index (quantized codes included), and lays level 0 out as in
     * memory, so that {@link HnswIndex#openView(java.nio.file.Path)} can search it where it
     * lies in the file.
     */
    NATIVE;

    // The ordinals are the numbering of the JNI library (crate hnswlib-jni): keep the order.
}
