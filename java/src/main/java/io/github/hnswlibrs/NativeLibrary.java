package io.github.hnswlibrs;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

/**
 * Loads the JNI library that carries the index engine.
 *
 * <p>The jar holds one library per platform under {@code native/<os>-<arch>/} (for example
 * {@code native/linux-x86_64/libhnswlib_jni.so}). At first use it is copied to a temporary
 * file and loaded from there, so no {@code -Djava.library.path} is needed. Setting the
 * system property {@value #PATH_PROPERTY} to a file loads that library instead (for a
 * platform the jar lacks, or a library built with other options).
 */
public final class NativeLibrary {
    /** System property naming a library file to load instead of the one in the jar. */
    public static final String PATH_PROPERTY = "hnswlib.native.path";

    private static boolean loaded;
    private static String loadedFrom;

    private NativeLibrary() {}

    /**
     * Loads the library if it is not loaded yet. Called automatically by the first index.
     *
     * @throws UnsatisfiedLinkError if the jar has no library for this platform and
     *     {@value #PATH_PROPERTY} is not set, or the library cannot be loaded
     */
    public static synchronized void load() {
        if (loaded) {
            return;
        }
        String override = System.getProperty(PATH_PROPERTY);
        if (override != null && !override.isEmpty()) {
            System.load(Path.of(override).toAbsolutePath().toString());
            loadedFrom = override;
        } else {
            loadedFrom = loadFromJar();
        }
        loaded = true;
    }

    /**
     * Where the library was loaded from: the jar resource, or the file named by
     * {@value #PATH_PROPERTY}; null before the first load.
     *
     * @return the resource path or file
     */
    public static synchronized String loadedFrom() {
        return loadedFrom;
    }

    /**
     * The resource path of this platform's library inside the jar.
     *
     * @return e.g. {@code native/linux-x86_64/libhnswlib_jni.so}
     */
    public static String resourcePath() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        String osName;
        String file;
        if (os.contains("linux")) {
            osName = "linux";
            file = "libhnswlib_jni.so";
        } else if (os.contains("mac") || os.contains("darwin")) {
            osName = "macos";
            file = "libhnswlib_jni.dylib";
        } else if (os.contains("windows")) {
            osName = "windows";
            file = "hnswlib_jni.dll";
        } else {
            osName = os.replaceAll("[^a-z0-9]", "");
            file = System.mapLibraryName("hnswlib_jni");
        }
        String archName;
        switch (arch) {
            case "amd64":
            case "x86_64":
                archName = "x86_64";
                break;
            case "aarch64":
            case "arm64":
                archName = "aarch64";
                break;
            default:
                archName = arch.replaceAll("[^a-z0-9_]", "");
        }
        return "native/" + osName + "-" + archName + "/" + file;
    }

    private static String loadFromJar() {
        String resource = resourcePath();
        try (InputStream in = NativeLibrary.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new UnsatisfiedLinkError("hnswlib-rs has no native library for this platform ("
                        + resource + " is not in the jar); build it with cargo and set -D"
                        + PATH_PROPERTY + "=/path/to/the/library");
            }
            String name = resource.substring(resource.lastIndexOf('/') + 1);
            Path tmp = Files.createTempFile("hnswlib-rs-", "-" + name);
            try {
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                System.load(tmp.toAbsolutePath().toString());
            } finally {
                // A loaded library stays mapped after its file is gone (POSIX); where the
                // file cannot be deleted while in use, it is deleted when the JVM exits.
                try {
                    Files.delete(tmp);
                } catch (IOException e) {
                    tmp.toFile().deleteOnExit();
                }
            }
            return resource;
        } catch (IOException e) {
            UnsatisfiedLinkError err = new UnsatisfiedLinkError(
                    "cannot extract " + resource + " to a temporary file: " + e.getMessage());
            err.initCause(e);
            throw err;
        }
    }
}
