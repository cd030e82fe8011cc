package io.github.hnswlibrs;

import java.util.BitSet;
import java.util.Objects;

/**
 * A filter held as data: an allow-list of labels, or a mask indexed by label. Unlike a
 * {@link java.util.function.LongPredicate} filter, it is evaluated by the native engine
 * without calling into the JVM for each candidate, so a filtered search runs at nearly the
 * speed of an unfiltered one. Set it with {@link SearchOptions#withLabelFilter(LabelFilter)}.
 * Immutable: the factories copy their argument.
 *
 * <pre>{@code
 * SearchOptions opts = SearchOptions.defaults().withLabelFilter(LabelFilter.allow(3, 7, 42));
 * }</pre>
 */
public final class LabelFilter {
    static final int ALLOW = 0;
    static final int BITS = 1;

    final int kind;
    final long[] values;

    private LabelFilter(int kind, long[] values) {
        this.kind = kind;
        this.values = values;
    }

    /**
     * Accepts exactly the given labels (any order; labels not in the index are harmless; an
     * empty list accepts nothing, so searches with it find nothing).
     *
     * @param labels the allowed labels
     * @return the filter
     */
    public static LabelFilter allow(long... labels) {
        return new LabelFilter(ALLOW, Objects.requireNonNull(labels, "labels").clone());
    }

    /**
     * Accepts label {@code l} when {@code mask[l]} is true; labels at or past the mask's
     * length are not accepted.
     *
     * @param mask indexed by label
     * @return the filter
     */
    public static LabelFilter mask(boolean[] mask) {
        Objects.requireNonNull(mask, "mask");
        long[] words = new long[(mask.length + 63) / 64];
        for (int l = 0; l < mask.length; l++) {
            if (mask[l]) {
                words[l >>> 6] |= 1L << (l & 63);
            }
        }
        return new LabelFilter(BITS, words);
    }

    /**
     * Accepts label {@code l} when bit {@code l} is set; labels past the last set bit are not
     * accepted.
     *
     * @param mask indexed by label
     * @return the filter
     */
    public static LabelFilter mask(BitSet mask) {
        return new LabelFilter(BITS, Objects.requireNonNull(mask, "mask").toLongArray());
    }

    @Override
    public String toString() {
        return kind == ALLOW ? "LabelFilter.allow(" + values.length + " labels)"
                : "LabelFilter.mask(" + 64L * values.length + " bits)";
    }
}
