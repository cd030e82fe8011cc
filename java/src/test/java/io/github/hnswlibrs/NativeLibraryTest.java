package io.github.hnswlibrs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Which library of the jar each platform takes, and the error where the jar has none. */
class NativeLibraryTest {
    @Test
    void eachPlatformHasItsOwnDirectory() {
        assertEquals("native/linux-x86_64/libhnswlib_jni.so", NativeLibrary.resourcePath("Linux", "amd64"));
        assertEquals("native/linux-x86_64/libhnswlib_jni.so", NativeLibrary.resourcePath("Linux", "x86_64"));
        assertEquals("native/linux-aarch64/libhnswlib_jni.so", NativeLibrary.resourcePath("Linux", "aarch64"));
        assertEquals("native/macos-aarch64/libhnswlib_jni.dylib", NativeLibrary.resourcePath("Mac OS X", "aarch64"));
        assertEquals("native/macos-x86_64/libhnswlib_jni.dylib", NativeLibrary.resourcePath("Mac OS X", "x86_64"));
        assertEquals("native/windows-x86_64/hnswlib_jni.dll", NativeLibrary.resourcePath("Windows 11", "amd64"));
        assertEquals("linux-riscv64", NativeLibrary.platform("Linux", "riscv64"));
        assertEquals("freebsd-x86_64", NativeLibrary.platform("FreeBSD", "amd64"));
    }

    @Test
    void theErrorNamesThePlatformAndWhatTheJarHas() {
        String msg = NativeLibrary.noLibraryMessage("Linux", "ppc64le", List.of("linux-x86_64", "linux-aarch64"));
        assertTrue(msg.contains("linux-ppc64le (os.name=Linux, os.arch=ppc64le)"), msg);
        assertTrue(msg.contains("the jar carries linux-x86_64, linux-aarch64"), msg);
        assertTrue(msg.contains("-D" + NativeLibrary.PATH_PROPERTY + "="), msg);
        assertTrue(NativeLibrary.noLibraryMessage("Linux", "s390x", List.of()).contains("the jar carries none"));
    }

    @Test
    void theTestClassPathHasThisPlatformsLibrary() {
        // target/classes holds the library that mvn copied there for this build's platform.
        assertTrue(NativeLibrary.platformsInJar().contains(
                NativeLibrary.platform(System.getProperty("os.name"), System.getProperty("os.arch"))));
    }
}
