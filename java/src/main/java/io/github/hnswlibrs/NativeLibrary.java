package io.github.hnswlibrs;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Loads the JNI library that carries the index engine.
 *
 * <p>The jar holds one library per platform under {@code native/<os>-<arch>/} (for example
 * {@code native/linux-x86_64/libhnswlib_jni.so} and {@code native/linux-aarch64/libhnswlib_jni.so}
 * in the release jar), and the loader takes the one of the running JVM's {@code os.name} and
 * {@code os.arch}. At first use it is copied to a temporary
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
        return resourcePath(System.getProperty("os.name", ""), System.getProperty("os.arch", ""));
    }

    /** The platforms the release jar carries, and others a jar may carry, in that order. */
    static final List<String> KNOWN_PLATFORMS = List.of(
            "linux-x86_64", "linux-aarch64", "macos-x86_64", "macos-aarch64", "windows-x86_64");

    /**
     * The resource path of the library for the given {@code os.name} and {@code os.arch}.
     *
     * @param osName a value of the system property {@code os.name}
     * @param osArch a value of the system property {@code os.arch}
     * @return {@code native/<platform>/<library file>}
     */
    static String resourcePath(String osName, String osArch) {
        String platform = platform(osName, osArch);
        return "native/" + platform + "/" + libraryFile(platform);
    }

    /**
     * The platform name of the jar's layout: {@code <os>-<arch>}, e.g. {@code linux-aarch64}.
     *
     * @param osName a value of the system property {@code os.name}
     * @param osArch a value of the system property {@code os.arch}
     * @return the directory under {@code native/} that holds that platform's library
     */
    static String platform(String osName, String osArch) {
        String os = osName.toLowerCase(Locale.ROOT);
        String arch = osArch.toLowerCase(Locale.ROOT);
        String osPart;
        if (os.contains("linux")) {
            osPart = "linux";
        } else if (os.contains("mac") || os.contains("darwin")) {
            osPart = "macos";
        } else if (os.contains("windows")) {
            osPart = "windows";
        } else {
            osPart = os.replaceAll("[^a-z0-9]", "");
        }
        String archPart;
        switch (arch) {
            case "amd64":
            case "x86_64":
                archPart = "x86_64";
                break;
            case "aarch64":
            case "arm64":
                archPart = "aarch64";
                break;
            default:
                archPart = arch.replaceAll("[^a-z0-9_]", "");
        }
        return osPart + "-" + archPart;
    }

    private static String libraryFile(String platform) {
        if (platform.startsWith("linux-")) {
            return "libhnswlib_jni.so";
        } else if (platform.startsWith("macos-")) {
            return "libhnswlib_jni.dylib";
        } else if (platform.startsWith("windows-")) {
            return "hnswlib_jni.dll";
        }
        return System.mapLibraryName("hnswlib_jni");
    }

    /**
     * The message when the jar has no library for a platform: that platform, the platforms the
     * jar does have, and what to do.
     */
    static String noLibraryMessage(String osName, String osArch, List<String> available) {
        return "hnswlib-rs has no native library for this platform, " + platform(osName, osArch)
                + " (os.name=" + osName + ", os.arch=" + osArch + "): the jar carries "
                + (available.isEmpty() ? "none" : String.join(", ", available))
                + ". Build libhnswlib_jni for it with cargo (cargo build --release -p hnswlib-jni in a"
                + " hnswlib-rs checkout) and set -D" + PATH_PROPERTY + "=/path/to/the/library";
    }

    /** The known platforms whose library this jar (class loader) holds. */
    static List<String> platformsInJar() {
        List<String> found = new ArrayList<>();
        ClassLoader loader = NativeLibrary.class.getClassLoader();
        for (String platform : KNOWN_PLATFORMS) {
            if (loader.getResource("native/" + platform + "/" + libraryFile(platform)) != null) {
                found.add(platform);
            }
        }
        return found;
    }

    private static String loadFromJar() {
        String resource = resourcePath();
        try (InputStream in = NativeLibrary.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new UnsatisfiedLinkError(noLibraryMessage(System.getProperty("os.name", ""),
                        System.getProperty("os.arch", ""), platformsInJar()));
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
