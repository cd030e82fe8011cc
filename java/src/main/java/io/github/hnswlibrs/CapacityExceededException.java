package io.github.hnswlibrs;

/** The index is full: {@code resize} it before adding more. */
public class CapacityExceededException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    /**
     * With the engine's message.
     *
     * @param message the message
     */
    public CapacityExceededException(String message) {
        super(message);
    }
}
