package io.github.hnswlibrs;

import java.io.IOException;

/**
 * The bytes or file are not a valid index of the expected kind: truncated, corrupted, or
 * saved for another dimension or space.
 */
public class IndexFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    /**
     * With the engine's message.
     *
     * @param message the message
     */
    public IndexFormatException(String message) {
        super(message);
    }
}
