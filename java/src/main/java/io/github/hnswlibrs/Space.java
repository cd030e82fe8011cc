package io.github.hnswlibrs;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * What a vector is and how two are compared: hnswlib's spaces.
 *
 * <ul>
 *   <li>{@link #l2(int)}: squared Euclidean distance (hnswlib {@code 'l2'});</li>
 *   <li>{@link #ip(int)}: inner product, distance {@code 1 - dot(a, b)} ({@code 'ip'});</li>
 *   <li>{@link #cosine(int)}: {@code 1 - cos(a, b)}; vectors are normalised when added and
 *       when searched, and stored normalised ({@code 'cosine'});</li>
 *   <li>{@link #l2u8(int)}: squared Euclidean distance on vectors of unsigned bytes
 *       (hnswlib's {@code L2SpaceI}), given as {@code byte[]};</li>
 *   <li>{@link #custom(int, FloatDistance)}: a distance written in Java (slow, see there);</li>
 *   <li>{@link #nativeFunction(int, long, long)}: a distance compiled to native code, called
 *       at full speed.</li>
 * </ul>
 *
 * <p>All spaces but {@link #l2u8(int)} hold vectors of {@code dim} floats; l2u8 holds
 * {@code dim} bytes. Instances are immutable.
 */
public final class Space {
    static final int L2 = 0;
    static final int IP = 1;
    static final int COSINE = 2;
    static final int JAVA = 3;
    static final int NATIVE = 4;
    static final int L2U8 = 5;

    final int kind;
    final int dim;
    final FloatDistance distance;
    final long function;
    final long userData;
    /** A custom space's name ({@link #named(String)}), or null. */
    final String customName;

    private Space(int kind, int dim, FloatDistance distance, long function, long userData) {
        this(kind, dim, distance, function, userData, null);
    }

    private Space(int kind, int dim, FloatDistance distance, long function, long userData, String customName) {
        if (dim < 1) {
            throw new IllegalArgumentException("Invalid parameter: dim must be at least 1");
        }
        this.kind = kind;
        this.dim = dim;
        this.distance = distance;
        this.function = function;
        this.userData = userData;
        this.customName = customName;
    }

    /**
     * Squared L2 distance.
     *
     * @param dim floats per vector
     * @return the space
     */
    public static Space l2(int dim) {
        return new Space(L2, dim, null, 0, 0);
    }

    /**
     * Inner product: distance {@code 1 - dot(a, b)}.
     *
     * @param dim floats per vector
     * @return the space
     */
    public static Space ip(int dim) {
        return new Space(IP, dim, null, 0, 0);
    }

    /**
     * Cosine distance {@code 1 - dot(a, b) / (|a| |b|)}; vectors are stored normalised.
     *
     * @param dim floats per vector
     * @return the space
     */
    public static Space cosine(int dim) {
        return new Space(COSINE, dim, null, 0, 0);
    }

    /**
     * Squared L2 distance on vectors of {@code dim} unsigned bytes: hnswlib's
     * {@code L2SpaceI} (the space of its SIFT test), whose index files this space loads.
     * An index of this space takes {@code byte[]} vectors ({@link VectorIndex#add(byte[], long)},
     * {@link VectorIndex#knn(byte[], int)}, {@link VectorIndex#getByteItem(long)}), each Java
     * byte read as its <b>unsigned</b> value 0..255 ({@code (byte) 200} means 200); the float
     * methods throw {@link IllegalArgumentException}. Distances are the exact integer sums,
     * returned as floats (exact up to 2<sup>24</sup>, as hnswlib returns them). Not
     * quantizable.
     *
     * @param dim bytes per vector (an index refuses more than 65536)
     * @return the space
     */
    public static Space l2u8(int dim) {
        return new Space(L2U8, dim, null, 0, 0);
    }

    /**
     * A space by hnswlib-rs's name: {@code "l2"}, {@code "ip"}, {@code "cosine"} or
     * {@code "l2u8"}.
     *
     * @param name the name
     * @param dim elements per vector
     * @return the space
     * @throws IllegalArgumentException for another name
     */
    public static Space of(String name, int dim) {
        switch (Objects.requireNonNull(name, "name").toLowerCase(Locale.ROOT)) {
            case "l2":
                return l2(dim);
            case "ip":
                return ip(dim);
            case "cosine":
                return cosine(dim);
            case "l2u8":
                return l2u8(dim);
            default:
                throw new IllegalArgumentException(
                        "Space name must be one of l2, ip, or cosine (or l2u8), got \"" + name + "\"");
        }
    }

    /** The built-in space of a kind the native library reports, or IllegalStateException. */
    static Space builtIn(int kind, int dim) {
        switch (kind) {
            case L2:
            case IP:
            case COSINE:
            case L2U8:
                return new Space(kind, dim, null, 0, 0);
            default:
                throw new IllegalStateException("the file's space (kind " + kind + ") has no Java Space");
        }
    }

    /**
     * A custom distance written in Java.
     *
     * <p><b>Slow:</b> the index calls the distance from its native worker threads, each
     * call attaching the thread to the JVM and copying both vectors into new Java arrays;
     * expect it to be one to two orders of magnitude slower than the built-in spaces or
     * {@link #nativeFunction(int, long, long)}. It must be thread-safe and should not
     * throw: an exception it throws fails the operation that called it (and is rethrown
     * from it), and an add that failed this way may leave its elements poorly linked.
     *
     * @param dim floats per vector
     * @param distance the distance; smaller means closer
     * @return the space
     */
    public static Space custom(int dim, FloatDistance distance) {
        return new Space(JAVA, dim, Objects.requireNonNull(distance, "distance"), 0, 0);
    }

    /**
     * A custom distance compiled to native code: hnswlib's {@code DISTFUNC},
     * {@code float f(const void *a, const void *b, const void *userData)}, called with
     * pointers to two vectors of {@code dim} floats and {@code userData} unchanged, from
     * many threads at once, for as long as an index uses the space.
     *
     * <p>The address can come from {@link #nativeFunction(int, Path, String, long)}, a JNI
     * library of your own, JNA ({@code Pointer.nativeValue}) or the foreign function API.
     * Like any raw pointer, a wrong address or a function with another signature crashes
     * the JVM; the library cannot check it.
     *
     * @param dim floats per vector
     * @param address the function's address
     * @param userData passed to every call as the third argument
     * @return the space
     */
    public static Space nativeFunction(int dim, long address, long userData) {
        if (address == 0) {
            throw new IllegalArgumentException("the distance function address is 0");
        }
        return new Space(NATIVE, dim, null, address, userData);
    }

    /**
     * A custom distance exported by a shared library: loads the library (it stays loaded)
     * and looks up {@code symbol}, then as {@link #nativeFunction(int, long, long)}.
     *
     * @param dim floats per vector
     * @param library the shared library file
     * @param symbol the name of the exported distance function
     * @param userData passed to every call as the third argument
     * @return the space
     * @throws IllegalArgumentException if the library cannot be loaded or lacks the symbol
     */
    public static Space nativeFunction(int dim, Path library, String symbol, long userData) {
        Objects.requireNonNull(library, "library");
        Objects.requireNonNull(symbol, "symbol");
        long address = Native.symbolAddress(library.toAbsolutePath().toString(), symbol);
        return nativeFunction(dim, address, userData);
    }

    /**
     * This custom space ({@link #custom(int, FloatDistance)} or a
     * {@link #nativeFunction(int, long, long) native function}) under a name. A file saved
     * in the {@link FileFormat#NATIVE} format keeps the name (it cannot keep the function),
     * and loading or viewing it with a space of another name throws
     * {@link IllegalArgumentException} instead of giving wrong results; an unnamed space
     * takes the file's name ({@link VectorIndex#space()} then reports it).
     *
     * @param name 1 to 64 bytes of UTF-8, without NUL
     * @return the same distance, named
     * @throws IllegalArgumentException for a built-in space (its kind names it) or a name that
     *     is empty, too long or holds a NUL
     */
    public Space named(String name) {
        Objects.requireNonNull(name, "name");
        if (kind != JAVA && kind != NATIVE) {
            throw new IllegalArgumentException(
                    "Invalid parameter: only custom spaces take a name; this one is " + name());
        }
        Native.checkSpaceName(name);
        return new Space(kind, dim, distance, function, userData, name);
    }

    /**
     * The name of a custom space ({@link #named(String)}, or the one a native file gave an
     * unnamed space it was loaded with); empty for built-in spaces and unnamed ones.
     *
     * @return the name, if any
     */
    public Optional<String> customName() {
        return Optional.ofNullable(customName);
    }

    /**
     * Elements per vector: floats, or bytes for {@link #l2u8(int)}.
     *
     * @return the dimension
     */
    public int dim() {
        return dim;
    }

    /**
     * The name of the space ({@code "l2"}, {@code "ip"}, {@code "cosine"}, {@code "l2u8"}),
     * or {@code "custom"} / {@code "native"} for custom distances.
     *
     * @return the name
     */
    public String name() {
        switch (kind) {
            case L2:
                return "l2";
            case IP:
                return "ip";
            case COSINE:
                return "cosine";
            case L2U8:
                return "l2u8";
            case JAVA:
                return "custom";
            default:
                return "native";
        }
    }

    @Override
    public String toString() {
        return "Space(" + name() + (customName == null ? "" : " \"" + customName + "\"") + ", dim=" + dim + ")";
    }
}
