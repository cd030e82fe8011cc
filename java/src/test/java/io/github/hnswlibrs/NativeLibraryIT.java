package io.github.hnswlibrs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Runs after {@code package} (maven-failsafe-plugin): the library is loaded from the built
 * jar, with nothing but the jar on the class path and no {@code java.library.path}.
 */
class NativeLibraryIT {
    static final Path JAR = Path.of(System.getProperty("hnswlib.test.jar", "target/hnswlib-rs-0.1.0.jar"));

    record Run(int exit, String output) {}

    static Run runChild(String... jvmArgs) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of(jvmArgs));
        cmd.add("-cp");
        cmd.add(JAR.toAbsolutePath() + File.pathSeparator + Path.of("target/test-classes").toAbsolutePath());
        cmd.add(LoaderMain.class.getName());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child JVM timed out");
        return new Run(p.exitValue(), out);
    }

    @Test
    void theJarCarriesTheLibraryForThisPlatform() throws Exception {
        assertTrue(Files.isRegularFile(JAR), JAR + " is built by mvn package");
        try (java.util.jar.JarFile jar = new java.util.jar.JarFile(JAR.toFile())) {
            assertTrue(jar.getEntry(NativeLibrary.resourcePath()) != null,
                    NativeLibrary.resourcePath() + " is in the jar");
        }
    }

    @Test
    void loadsFromTheJarAlone() throws Exception {
        Run run = runChild();
        assertEquals(0, run.exit(), run.output());
        assertTrue(run.output().contains("label=42"), run.output());
        assertTrue(run.output().contains("loadedFrom=" + NativeLibrary.resourcePath()), run.output());
    }

    @Test
    void theSystemPropertyPointsToAnotherFile() throws Exception {
        Path lib = Path.of(System.getProperty("hnswlib.test.library"));
        assertTrue(Files.isRegularFile(lib), lib + " is built by cargo");
        Run run = runChild("-D" + NativeLibrary.PATH_PROPERTY + "=" + lib);
        assertEquals(0, run.exit(), run.output());
        assertTrue(run.output().contains("label=42"), run.output());
        assertTrue(run.output().contains("loadedFrom=" + lib), run.output());
    }

    @Test
    void aPlatformTheJarLacksIsAClearErrorNamingIt() throws Exception {
        Run run = runChild("-Dos.arch=riscv64");
        assertTrue(run.exit() != 0, run.output());
        assertTrue(run.output().contains("UnsatisfiedLinkError"), run.output());
        assertTrue(run.output().contains("no native library for this platform, linux-riscv64 (os.name=Linux, os.arch=riscv64)"),
                run.output());
        assertTrue(run.output().contains("the jar carries linux-x86_64"), run.output());
    }

    /**
     * The jar holds a library for each platform of -Dhnswlib.test.platforms (make jar:
     * linux-x86_64,linux-aarch64; else this machine's), an ELF shared object of that
     * architecture.
     */
    @Test
    void theJarCarriesEveryPlatformOfTheBuild() throws Exception {
        String platforms = System.getProperty("hnswlib.test.platforms", "");
        if (platforms.isEmpty()) {
            platforms = NativeLibrary.platform(System.getProperty("os.name"), System.getProperty("os.arch"));
        }
        java.util.Map<String, Integer> elfMachine = java.util.Map.of("x86_64", 62, "aarch64", 183);
        try (java.util.jar.JarFile jar = new java.util.jar.JarFile(JAR.toFile())) {
            for (String platform : platforms.split(",")) {
                String arch = platform.substring(platform.indexOf('-') + 1);
                java.util.jar.JarEntry entry = jar.getJarEntry(NativeLibrary.resourcePath("Linux", arch));
                assertTrue(entry != null, platform + " is in the jar");
                byte[] head = jar.getInputStream(entry).readNBytes(20);
                assertEquals(0x7f, head[0]);
                assertEquals('E', head[1]);
                assertEquals(3, head[16], platform + ": a shared object (ET_DYN)");
                assertEquals((int) elfMachine.get(arch), (head[18] & 0xff) | (head[19] & 0xff) << 8,
                        platform + ": ELF machine of " + arch);
            }
        }
    }

    @Test
    void aMissingOverrideFileIsAClearError() throws Exception {
        Run run = runChild("-D" + NativeLibrary.PATH_PROPERTY + "=/nonexistent/libhnswlib_jni.so");
        assertTrue(run.exit() != 0);
        assertTrue(run.output().contains("UnsatisfiedLinkError"), run.output());
        assertTrue(run.output().contains("/nonexistent/libhnswlib_jni.so"), run.output());
    }

    @Test
    void thisJvmLoadedTheJarsLibrary() throws Exception {
        try (HnswIndex index = new HnswIndex(Space.ip(3), 2)) {
            index.add(new float[] {1, 0, 0}, 1);
            assertEquals(1, index.knn(new float[] {1, 0, 0}, 1).labels()[0]);
        }
        assertEquals(NativeLibrary.resourcePath(), NativeLibrary.loadedFrom());
        String codeSource = NativeLibrary.class.getProtectionDomain().getCodeSource().getLocation().getPath();
        assertTrue(codeSource.endsWith(".jar"), "classes come from the jar: " + codeSource);
    }
}
