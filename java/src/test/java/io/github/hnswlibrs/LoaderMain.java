package io.github.hnswlibrs;

/** Run in a child JVM by the library-loading tests: uses an index, prints where the library came from. */
public final class LoaderMain {
    private LoaderMain() {}

    public static void main(String[] args) {
        try (HnswIndex index = new HnswIndex(Space.l2(2), 4)) {
            index.add(new float[] {1, 2}, 42);
            System.out.println("label=" + index.knn(new float[] {1, 2}, 1).labels()[0]);
        }
        System.out.println("loadedFrom=" + NativeLibrary.loadedFrom());
    }
}
