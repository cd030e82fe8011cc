package io.github.hnswlibrs;

import java.util.Objects;

/**
 * How an {@link HnswIndex} stores the vectors its searches traverse: the vectors
 * themselves (hnswlib's storage), or 8-bit or 4-bit scalar codes of them.
 *
 * <p>A quantized index learns per-dimension code ranges once it holds 1000 elements
 * (from the elements present and the batch being added) and searches exactly until
 * then. Its searches traverse the graph on the codes, then re-score the best
 * {@code rerank × k} candidates (at most ef) with exact distances, so the distances
 * returned are exact while the vectors are kept (see
 * {@link HnswIndex.Builder#keepVectors(boolean)} and {@link HnswIndex#setRerank(float)}).
 * Quantization needs one of the built-in float spaces ({@link Space#l2(int) l2},
 * {@link Space#ip(int) ip}, {@link Space#cosine(int) cosine}); with a custom distance
 * the index is refused with an {@link IllegalArgumentException}.
 *
 * <pre>{@code
 * try (HnswIndex index = HnswIndex.builder(Space.cosine(768), 100_000)
 *         .quantization(Quantization.SQ8)
 *         .build()) {
 *     ...
 * }
 * }</pre>
 */
public enum Quantization {
    /** The vectors themselves, as hnswlib stores them (the default). */
    NONE,
    /** One byte per dimension; searches re-rank their best 2·k candidates exactly by default. */
    SQ8,
    /** Half a byte per dimension; searches re-rank their best 4·k candidates exactly by default. */
    SQ4;

    // The ordinals are the numbering of the JNI library (crate hnswlib-jni): keep the order.

    /**
     * The mode by the name the other bindings of hnswlib-rs use: {@code "none"},
     * {@code "sq8"} or {@code "sq4"} ({@code ""} means {@code "none"}). For the constant
     * names ({@code "SQ8"}) use {@link #valueOf(String)}.
     *
     * @param name the name, e.g. from a configuration file
     * @return the mode
     * @throws IllegalArgumentException for another name (the message lists the valid ones)
     */
    public static Quantization of(String name) {
        return values()[Native.quantizationByName(Objects.requireNonNull(name, "name"))];
    }
}
