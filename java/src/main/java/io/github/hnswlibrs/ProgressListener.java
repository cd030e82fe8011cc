package io.github.hnswlibrs;

/**
 * Reports the progress of a batch add, and may cancel it. Called from the native worker
 * threads (concurrently, about every 1% of the rows); each call attaches the thread to the
 * JVM, so keep it cheap. It must not use the index it reports on: such calls throw
 * {@link IllegalStateException}.
 */
@FunctionalInterface
public interface ProgressListener {
    /**
     * Called as rows complete.
     *
     * @param done rows added so far
     * @param total rows in the batch
     * @return true to go on, false to cancel: the add then throws
     *     {@link java.util.concurrent.CancellationException}, and the rows added so far stay
     */
    boolean onProgress(long done, long total);
}
