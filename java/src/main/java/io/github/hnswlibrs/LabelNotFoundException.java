package io.github.hnswlibrs;

/** A label that is not in the index (or, where live elements are required, is deleted). */
public class LabelNotFoundException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /**
     * With the engine's message.
     *
     * @param message the message
     */
    public LabelNotFoundException(String message) {
        super(message);
    }
}
