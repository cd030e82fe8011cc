package io.github.hnswlibrs;

import java.util.function.LongPredicate;

/**
 * Per-call search settings. Immutable: each {@code with} method returns a copy.
 *
 * <pre>{@code
 * SearchOptions opts = SearchOptions.defaults().withEf(100).withFilter(label -> label % 2 == 0);
 * }</pre>
 */
public final class SearchOptions {
    /** The rerank of the defaults: the index's own ({@link #withRerank(float)} refuses NaN). */
    private static final float INDEX_RERANK = Float.NaN;
    private static final SearchOptions DEFAULTS = new SearchOptions(-1, null, 0, INDEX_RERANK, null);

    final int ef;
    final LongPredicate filter;
    final int threads;
    final float rerank;
    final LabelFilter labelFilter;

    private SearchOptions(int ef, LongPredicate filter, int threads, float rerank, LabelFilter labelFilter) {
        this.ef = ef;
        this.filter = filter;
        this.threads = threads;
        this.rerank = rerank;
        this.labelFilter = labelFilter;
    }

    /**
     * The index's ef and re-ranking depth, no filter, all cores for batches.
     *
     * @return the defaults
     */
    public static SearchOptions defaults() {
        return DEFAULTS;
    }

    /**
     * The size of the candidate list for this call only (the effective value is
     * {@code max(ef, k)}, as in hnswlib); ignored by {@link BruteForceIndex}.
     *
     * @param ef the ef, at least 0; negative means the index's own ef
     * @return a copy with this ef
     */
    public SearchOptions withEf(int ef) {
        return new SearchOptions(ef, filter, threads, rerank, labelFilter);
    }

    /**
     * Only labels the filter accepts are returned (hnswlib's {@code filter}). The filter is
     * called from native worker threads, concurrently, each call attaching the thread to
     * the JVM: it is slow, and must be thread-safe. It must not use the index being
     * searched (that throws {@link IllegalStateException}). An exception it throws ends the
     * search and is rethrown from it. For allow-lists and masks use
     * {@link #withLabelFilter(LabelFilter)}, which runs without calling into Java.
     *
     * @param filter the predicate, or null for none
     * @return a copy with this filter
     */
    public SearchOptions withFilter(LongPredicate filter) {
        return new SearchOptions(ef, filter, threads, rerank, labelFilter);
    }

    /**
     * Threads for batch searches.
     *
     * @param threads the thread count; 0 or negative means all cores
     * @return a copy with this thread count
     */
    public SearchOptions withThreads(int threads) {
        return new SearchOptions(ef, filter, threads, rerank, labelFilter);
    }

    /**
     * The re-ranking depth of a quantized {@link HnswIndex} for this call only (see
     * {@link HnswIndex#setRerank(float)}): the best {@code rerank × k} candidates of the
     * code traversal (at most ef) are re-scored with exact distances. Ignored by an
     * unquantized index and by {@link BruteForceIndex}.
     *
     * @param rerank the factor, a finite number; values below 1 mean k
     * @return a copy with this depth
     * @throws IllegalArgumentException if {@code rerank} is NaN or infinite
     */
    public SearchOptions withRerank(float rerank) {
        if (!Float.isFinite(rerank)) {
            throw new IllegalArgumentException("Invalid parameter: rerank must be a finite number, got " + rerank);
        }
        return new SearchOptions(ef, filter, threads, rerank, labelFilter);
    }

    /**
     * Only labels the {@link LabelFilter} accepts (an allow-list or a mask by label) are
     * returned. It is evaluated natively, with no call into the JVM per candidate. With a
     * {@link #withFilter(LongPredicate) predicate} as well, a label must pass both.
     *
     * @param labelFilter the filter, or null for none
     * @return a copy with this filter
     */
    public SearchOptions withLabelFilter(LabelFilter labelFilter) {
        return new SearchOptions(ef, filter, threads, rerank, labelFilter);
    }
}
