package io.github.hnswlibrs;

/**
 * Per-call settings of a batch add to an {@link HnswIndex}. Immutable: each {@code with}
 * method returns a copy.
 *
 * <pre>{@code
 * AddOptions opts = AddOptions.defaults().withThreads(4).withProgress((done, total) -> true);
 * }</pre>
 */
public final class AddOptions {
    private static final AddOptions DEFAULTS = new AddOptions(0, false, null);

    final int threads;
    final boolean replaceDeleted;
    final ProgressListener progress;

    private AddOptions(int threads, boolean replaceDeleted, ProgressListener progress) {
        this.threads = threads;
        this.replaceDeleted = replaceDeleted;
        this.progress = progress;
    }

    /**
     * All cores, no slot reuse, no progress listener.
     *
     * @return the defaults
     */
    public static AddOptions defaults() {
        return DEFAULTS;
    }

    /**
     * Threads to add with.
     *
     * @param threads the thread count; 0 or negative means all cores
     * @return a copy with this thread count
     */
    public AddOptions withThreads(int threads) {
        return new AddOptions(threads, replaceDeleted, progress);
    }

    /**
     * Reuse the slots of deleted elements (the index must have been created or loaded with
     * {@code allowReplaceDeleted}).
     *
     * @param replaceDeleted whether to reuse deleted slots
     * @return a copy with this setting
     */
    public AddOptions withReplaceDeleted(boolean replaceDeleted) {
        return new AddOptions(threads, replaceDeleted, progress);
    }

    /**
     * A listener told of the progress, which may cancel the batch.
     *
     * @param progress the listener, or null for none
     * @return a copy with this listener
     */
    public AddOptions withProgress(ProgressListener progress) {
        return new AddOptions(threads, replaceDeleted, progress);
    }
}
