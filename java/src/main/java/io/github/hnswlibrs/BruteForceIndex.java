package io.github.hnswlibrs;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * An exact nearest-neighbour index: hnswlib's {@code BFIndex}. Every search compares the
 * query with every stored vector, so results are exact: the ground truth that HNSW recall
 * is measured against, and the right index for small collections. Files are hnswlib's
 * brute-force format. See {@link VectorIndex} for threads, labels and input.
 *
 * <p>Its filters and Java distances run while the index is locked for reading: they must
 * not use the index (that throws {@link IllegalStateException}).
 */
public final class BruteForceIndex extends VectorIndex {
    private BruteForceIndex(long id, Space space) {
        super(id, space);
    }

    /**
     * An empty index.
     *
     * @param space the space
     * @param maxElements the capacity (memory grows with the elements actually added)
     */
    public BruteForceIndex(Space space, long maxElements) {
        this(Native.newBruteForce(Objects.requireNonNull(space, "space"), maxElements), space);
    }

    /**
     * An empty index by hnswlib's space name.
     *
     * @param space {@code "l2"}, {@code "ip"}, {@code "cosine"} or {@code "l2u8"}
     * @param dim elements per vector (floats; bytes for l2u8)
     * @param maxElements the capacity
     */
    public BruteForceIndex(String space, int dim, long maxElements) {
        this(Space.of(space, dim), maxElements);
    }

    /**
     * Loads a brute-force index saved by hnswlib or by {@link #save(Path)}.
     *
     * @param path the file
     * @param space the space it was built with
     * @param maxElements a new capacity (0 keeps the file's)
     * @return the index
     * @throws IOException if the file cannot be read (a missing file is an error)
     * @throws IndexFormatException if it is not a valid index for this space
     */
    public static BruteForceIndex load(Path path, Space space, long maxElements) throws IOException {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(space, "space");
        return new BruteForceIndex(Native.load(false, path.toString(), null, space, maxElements, false, 0,
                Quantization.NONE.ordinal(), true), space);
    }

    /**
     * Reads a brute-force index from bytes ({@link #toBytes()}).
     *
     * @param bytes hnswlib's brute-force file format
     * @param space the space it was built with
     * @param maxElements a new capacity (0 keeps the file's)
     * @return the index
     * @throws IndexFormatException if the bytes are not a valid index for this space
     */
    public static BruteForceIndex fromBytes(byte[] bytes, Space space, long maxElements)
            throws IndexFormatException {
        Objects.requireNonNull(bytes, "bytes");
        Objects.requireNonNull(space, "space");
        return new BruteForceIndex(Native.load(false, null, bytes, space, maxElements, false, 0,
                Quantization.NONE.ordinal(), true), space);
    }

    /**
     * Removes the element with {@code label} (hnswlib's {@code delete_vector}).
     *
     * @param label the label
     * @throws LabelNotFoundException if it is not in the index
     */
    public void remove(long label) {
        labelOp(Native.LABEL_REMOVE, label);
    }
}
