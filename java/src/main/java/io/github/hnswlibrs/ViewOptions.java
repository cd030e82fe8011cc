package io.github.hnswlibrs;

/**
 * Settings of {@link HnswIndex#openView(java.nio.file.Path, ViewOptions)}. Immutable: each
 * {@code with} method returns a copy.
 *
 * <pre>{@code
 * HnswIndex view = HnswIndex.openView(path, ViewOptions.defaults().withPopulate(true));
 * }</pre>
 */
public final class ViewOptions {
    private static final ViewOptions DEFAULTS = new ViewOptions(false, false);

    final boolean verify;
    final boolean populate;

    private ViewOptions(boolean verify, boolean populate) {
        this.verify = verify;
        this.populate = populate;
    }

    /**
     * No verification of the large sections, no read-ahead: opening reads the header,
     * labels, levels and upper levels only (all checksummed and checked), so it takes
     * milliseconds at any size.
     *
     * @return the defaults
     */
    public static ViewOptions defaults() {
        return DEFAULTS;
    }

    /**
     * Whether to check what a load checks: the checksums of the level-0 and vector
     * sections, every link and every vector. That reads the whole file. Without it,
     * searches are still memory-safe whatever those bytes hold, but a damaged level 0
     * gives wrong results, which {@link HnswIndex#checkIntegrity()} finds.
     *
     * @param verify the setting
     * @return a copy with this setting
     */
    public ViewOptions withVerify(boolean verify) {
        return new ViewOptions(verify, populate);
    }

    /**
     * Whether to read the file into the page cache while opening ({@code MAP_POPULATE}),
     * so the first searches do not wait for the disk.
     *
     * @param populate the setting
     * @return a copy with this setting
     */
    public ViewOptions withPopulate(boolean populate) {
        return new ViewOptions(verify, populate);
    }
}
